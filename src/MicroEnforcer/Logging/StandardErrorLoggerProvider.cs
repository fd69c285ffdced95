using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Logging;

/// <summary>
/// The launcher's own log: "microenforcer: info: message" lines on stderr, kept apart from audit
/// events (which are JSON, one per line) so that both can be read by a person and by a parser.
/// </summary>
internal sealed class StandardErrorLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StandardErrorLogger(minimum);

    public void Dispose()
    {
    }

    private sealed class StandardErrorLogger(LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            string level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                LogLevel.Error => "error",
                _ => "critical",
            };
            string message = formatter(state, exception);
            if (exception is not null)
                message += ": " + exception.Message;
            StandardError.WriteLine($"microenforcer: {level}: {message}");
        }
    }
}
