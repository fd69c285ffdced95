using System.Reflection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace MicroEnforcer.Tests.Logging;

/// <summary>The launcher's log messages have stable event ids (Log.cs says so): two messages sharing one would make them one to a log filter.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void EveryMessageHasItsOwnEventId()
    {
        var ids = typeof(Log).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Select(method => (method.Name, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.True(ids.Count > 50, "the messages were not found");
        var shared = ids.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Name))}").ToList();
        Assert.Empty(shared);
    }
}
