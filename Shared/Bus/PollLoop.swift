import CZMQ
import Foundation
import Synchronization

/// The work one poll thread does for the sockets it owns. Every method runs on that thread only.
protocol PollLoopDriver: AnyObject {
    associatedtype Command: Sendable
    /// The sockets to poll; fixed for the driver's life.
    var sockets: [ZMQSocket] { get }
    func handle(_ command: Command)
    func readable(socketIndex: Int)
    /// Milliseconds until the driver next needs `tick()`, or -1 for none.
    func pollTimeout() -> Int
    func tick()
    /// Closes the sockets; called once when the loop stops.
    func close()
}

/// One OS thread that owns a set of ZeroMQ sockets and bridges them to Swift concurrency.
///
/// ZeroMQ sockets are not thread-safe and their calls must never run on the cooperative pool or an event loop, so each
/// socket set gets its own thread blocked in `zmq_poll`. Async callers post commands into a mutex-guarded mailbox and wake
/// the thread through a self-pipe (one write per burst, not per command).
final class PollLoop<Command: Sendable>: Sendable {
    private struct Mailbox {
        var commands: [Command] = []
        var wakePending = false
        var stopping = false
    }

    private let mailbox = Mutex(Mailbox())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let done = Mutex<Bool>(false)
    let name: String

    init(name: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        self.name = name
    }

    /// Starts the thread. `driver` must not be touched by the caller afterwards.
    func start<Driver: PollLoopDriver & Sendable>(_ driver: Driver) where Driver.Command == Command {
        let thread = Thread { [self] in self.run(driver) }
        thread.name = name
        thread.start()
    }

    /// Posts a command; false when the loop is stopping and will not run it.
    @discardableResult
    func post(_ command: Command) -> Bool {
        let shouldWake: Bool? = mailbox.withLock { box in
            guard !box.stopping else { return nil }
            box.commands.append(command)
            defer { box.wakePending = true }
            return !box.wakePending
        }
        guard let shouldWake else { return false }
        if shouldWake { wake() }
        return true
    }

    /// Asks the thread to close its sockets and exit.
    func stop() {
        let first = mailbox.withLock { box in
            defer { box.stopping = true }
            return !box.stopping
        }
        if first { wake() }
    }

    var isStopped: Bool { done.withLock { $0 } }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run<Driver: PollLoopDriver>(_ driver: Driver) where Driver.Command == Command {
        let sockets = driver.sockets
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        items.append(zmq_pollitem_t(socket: nil, fd: wakeRead, events: Int16(ZMQ_POLLIN), revents: 0))
        var drain = [UInt8](repeating: 0, count: 256)
        while true {
            let rc = zmq_poll(&items, Int32(items.count), driver.pollTimeout())
            if rc < 0 && zmq_errno() != EINTR { break }
            if items[sockets.count].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            let (commands, stopping) = mailbox.withLock { box in
                defer {
                    box.commands.removeAll(keepingCapacity: true)
                    box.wakePending = false
                }
                return (box.commands, box.stopping)
            }
            for command in commands { driver.handle(command) }
            if stopping { break }
            for index in sockets.indices where items[index].revents != 0 {
                driver.readable(socketIndex: index)
            }
            driver.tick()
        }
        driver.close()
        Foundation.close(wakeRead)
        Foundation.close(wakeWrite)
        done.withLock { $0 = true }
    }
}
