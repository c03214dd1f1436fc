// Entry point: parse, run, and map every failure to one documented exit code (see Attn.swift).
import Foundation
import JSONRPC

// A reader that goes away must show up as EPIPE on write (Output ends quietly), not kill us.
Connection.ignoreSIGPIPE()

AttnEntry.run()
