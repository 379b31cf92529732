import Logging

/// Sets up swift-log once per process: lines on standard error at the configured level, labelled by service.
public enum LogSetup {
    public static func bootstrap(service: String, level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: service)
        logger.logLevel = level
        return logger
    }
}
