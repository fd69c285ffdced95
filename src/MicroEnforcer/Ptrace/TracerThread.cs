using MicroEnforcer.Launcher;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// The one thread that issues ptrace requests (a tracee answers only to the thread that seized
/// it). It is deliberately not the reaper: PTRACE_SEIZE waits, uninterruptibly for us, on the
/// target's cred_guard_mutex, which an exec in the same process holds while de_thread waits for
/// its traced sibling threads to be reaped. If the seizing thread were the reaper, that wait
/// would never end (the reviewer's deadlock: three traced zombies, every later exec hung). The
/// reaper collects the stops with waitpid (any thread of the tracer's process may) and posts them
/// here.
/// </summary>
internal sealed class TracerThread(Tracer tracer, ILogger log)
{
    private readonly WorkQueue<TracerWork> _work = new();

    public void Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "tracer" };
        thread.Start();
    }

    public void Post(TracerWork work) => _work.Post(work);

    /// <summary>Called from the notify loop: seize <paramref name="tid"/> and wait for it. errno or 0.</summary>
    public int Seize(int tid, PendingExec pending)
    {
        var request = new SeizeRequest(tid, pending);
        _work.Post(new TracerWork.Seize(request));
        return request.Done.Wait();
    }

    private void Run()
    {
        tracer.BindToCurrentThread();
        while (true)
        {
            TracerWork work = _work.Take();
            try
            {
                switch (work)
                {
                    case TracerWork.Seize seize:
                        seize.Request.Done.Complete(tracer.Seize(seize.Request.Tid, seize.Request.Pending));
                        break;
                    case TracerWork.Release release:
                        tracer.Release(release.Tid);
                        break;
                    case TracerWork.Stopped stopped:
                        tracer.OnStopped(stopped.Pid, stopped.Status);
                        break;
                    case TracerWork.Exited exited:
                        tracer.OnExited(exited.Pid);
                        break;
                }
            }
            catch (Exception e)
            {
                Log.TracerFailed(log, e);
                if (work is TracerWork.Seize failed)
                    failed.Request.Done.Complete(Interop.Libc.EPERM);   // fail closed: no tracer, no CONTINUE
            }
        }
    }
}
