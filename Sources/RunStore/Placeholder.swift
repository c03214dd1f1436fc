// placeholder: replaced when the module gets code
