// Entry point: parse the flags and run (see AttnDaemon.swift).
AttnDaemon.main()
