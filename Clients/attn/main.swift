// Entry point: parse, run, and map every failure to one documented exit code (see Attn.swift).
import Foundation

AttnEntry.run()
