package socklab.proc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import socklab.server.Model;
import socklab.sys.Epoll;
import socklab.sys.Fd;
import socklab.sys.Processes;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;
import socklab.sys.Spawn;

/**
 * The slots of a {@link ProcessGroup} and the worker process in each: how a worker is started
 * (posix_spawn of {@link WorkerMain} with the descriptors it inherits), watched (its pidfd in the
 * supervisor's epoll set), reaped, signalled and, after a failure, killed. The supervisor's thread does
 * all of that; {@link #pids} is for any thread.
 */
final class WorkerSlots {
    /** One slot of the group: the process in it now, and its history. */
    static final class Worker {
        int pid;
        int pidfd = -1;
        long startedAt;
        long respawnAt; // 0: none scheduled
        long backoffMillis;
        boolean serving; // its server runs: it has marked its slot of the table
    }

    private final GroupConfig config;
    private final GroupResources resources;
    private final int parentPid = (int) ProcessHandle.current().pid();
    private final Worker[] workers;
    private final AtomicIntegerArray pids;

    WorkerSlots(GroupConfig config, GroupResources resources) {
        this.config = config;
        this.resources = resources;
        this.workers = new Worker[config.processes()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
        }
        this.pids = new AtomicIntegerArray(config.processes());
    }

    int count() {
        return workers.length;
    }

    Worker worker(int slot) {
        return workers[slot];
    }

    /** The pids of the worker processes running now, by slot (a slot being refilled is left out). */
    List<Integer> pids() {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < pids.length(); i++) {
            if (pids.get(i) != 0) {
                list.add(pids.get(i));
            }
        }
        return list;
    }

    /** Starts a worker process in {@code slot}, passing it its descriptors; see {@link WorkerMain}. */
    void spawn(int slot, long now) {
        resources.table.clear(slot);
        List<Integer> passed = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int[] channel = null;
        Model model = config.server().model();
        if (model == Model.SHARED_ACCEPT) {
            passed.add(resources.socketFd);
            names.add("listener");
        } else if (model == Model.CLUSTER) {
            channel = Sockets.socketpair(SockAddr.AF_UNIX, Sockets.SOCK_SEQPACKET | Sockets.SOCK_CLOEXEC);
            Fd.setNonBlocking(channel[0], true); // the parent's end; the worker blocks on its own
            passed.add(channel[1]);
            names.add("channel");
        }
        passed.add(resources.table.fd());
        names.add("stats");
        WorkerMain.WorkerArgs args = new WorkerMain.WorkerArgs(slot, config.processes(), parentPid,
                config.server().withAddress(config.server().host(), resources.address.getPort()));
        Worker w = workers[slot];
        try {
            w.pid = Spawn.spawn(WorkerMain.command(args), WorkerMain.listenEnvironment(names),
                    passed.stream().mapToInt(Integer::intValue).toArray());
        } catch (RuntimeException e) {
            if (channel != null) {
                Fd.close(channel[0]);
            }
            throw e;
        } finally {
            if (channel != null) {
                Fd.close(channel[1]);
            }
        }
        try {
            w.pidfd = Processes.pidfd(w.pid);
            Epoll.add(resources.epfd, w.pidfd, Epoll.EPOLLIN, GroupResources.EXIT | slot);
        } catch (RuntimeException e) {
            // a child the supervisor cannot watch is one it would never reap or replace: end it here
            if (channel != null) {
                Fd.close(channel[0]);
            }
            killAndReap(w.pid);
            if (w.pidfd >= 0) {
                Fd.close(w.pidfd);
                w.pidfd = -1;
            }
            throw e;
        }
        w.startedAt = now;
        w.respawnAt = 0;
        w.serving = false;
        pids.set(slot, w.pid);
        if (channel != null) {
            resources.primary.attach(slot, channel[0]);
        }
    }

    /**
     * The pidfd of {@code slot} is readable: its process has exited. Reaps it and empties the slot
     * (its {@link Worker#pid} stays, for the log); the wait status, or -1 when there is none yet.
     */
    int reap(int slot) {
        int status = Processes.reap(workers[slot].pid);
        if (status < 0) {
            return status;
        }
        empty(slot);
        if (resources.primary != null) {
            resources.primary.detach(slot);
        }
        return status;
    }

    private void empty(int slot) {
        Worker w = workers[slot];
        Fd.close(w.pidfd); // also leaves the epoll set
        w.pidfd = -1;
        pids.set(slot, 0);
    }

    boolean allServing() {
        for (Worker w : workers) {
            if (!w.serving) {
                return false;
            }
        }
        return true;
    }

    boolean anyStarting() {
        for (Worker w : workers) {
            if (w.pidfd >= 0 && !w.serving) {
                return true;
            }
        }
        return false;
    }

    /** Some slot still has a process that has not been reaped. */
    boolean anyRunning() {
        for (Worker w : workers) {
            if (w.pidfd >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The earliest replacement scheduled, or Long.MAX_VALUE when none is. */
    long nextRespawn() {
        long next = Long.MAX_VALUE;
        for (Worker w : workers) {
            if (w.respawnAt != 0) {
                next = Math.min(next, w.respawnAt);
            }
        }
        return next;
    }

    void cancelRespawns() {
        for (Worker w : workers) {
            w.respawnAt = 0;
        }
    }

    void signalAll(int signal) {
        for (Worker w : workers) {
            if (w.pidfd >= 0) {
                Processes.signal(w.pid, signal);
            }
        }
    }

    /** After a failure: SIGKILL every worker and reap it (each dies within milliseconds of SIGKILL). */
    void killAll() {
        for (int slot = 0; slot < workers.length; slot++) {
            Worker w = workers[slot];
            if (w.pidfd < 0) {
                continue;
            }
            if (!killAndReap(w.pid)) {
                return;
            }
            empty(slot);
        }
    }

    /** SIGKILL and reap (a process dies within milliseconds of SIGKILL); false if interrupted first. */
    private static boolean killAndReap(int pid) {
        Processes.signal(pid, Processes.SIGKILL);
        try {
            while (Processes.reap(pid) < 0) {
                Thread.sleep(1);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
