/// The client frames (`ClientMessage`, `ProtocolFailure`, the payload types) live in their own module so that the frame
/// fuzzer (`make fuzz`) can link them without the server; re-exported here because every handler and hook uses them.
@_exported import ClientFrames
