import ConnectorCore
import Foundation
import Hummingbird

extension ConnectorService {
    func addOperationRoutes(to router: Router<BasicRequestContext>) {
        // Health: the store answers and the loops run. No key (load balancers), no detail
        // beyond states.
        router.get("/health") { _, _ -> Response in
            struct Health: Encodable {
                var status: String
                var store: String
                var scheduler: String
                var dispatcher: String
                var clock: String
            }
            let loops = self.health.snapshot
            var storeState = "ok"
            do { _ = try await self.store.workspaceSettings() } catch { storeState = "unreachable" }
            let healthy = storeState == "ok" && loops.dispatcherRunning && loops.schedulerRunning
            return try json(Health(status: healthy ? "ok" : "degraded", store: storeState,
                                   scheduler: loops.schedulerRunning ? "running" : "stopped",
                                   dispatcher: loops.dispatcherRunning ? "running" : "stopped",
                                   clock: self.clock.isVirtual ? "virtual" : "system"),
                            status: healthy ? .ok : .serviceUnavailable)
        }
        // Prometheus' text format; the read scope (Prometheus sends `authorization: Bearer`).
        router.get("/metrics") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            guard let registry = self.registry else { throw APIError.notFound("metrics are not collected in this process") }
            self.metrics.waiting(try await self.store.waitingCounts(),
                                 followUps: try await self.store.campaigns().filter { $0.trigger != nil }.map(\.id))
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        // A virtual clock moves forward, then the scheduler and the dispatcher run at the
        // new time before the answer: a replay sees each step's follow-ups.
        router.post("/v1/clock") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .admin)
            guard case .object(let fields) = try await self.bodyJSON(request), let value = fields["now"] else {
                throw APIError(.invalid, "expected {\"now\": \"2026-03-02T09:00:00Z\"}", field: "now")
            }
            let time: Date
            switch value {
            case .string(let text):
                do { time = try SupportedTime.parse(text) } catch { throw APIError(.invalid, "\(error)", field: "now") }
            case .number(let seconds):
                do { time = try SupportedTime.seconds(seconds) } catch { throw APIError(.invalid, "\(error)", field: "now") }
            default:
                throw APIError(.invalid, "expected an RFC 3339 time or seconds since 1970", field: "now")
            }
            guard self.clock.isVirtual else { _ = try self.clock.advance(to: time); return Response(status: .internalServerError) }
            let (now, settled, delivered) = try await self.advance(to: time)
            struct Moved: Encodable {
                var now: Date
                var settled: Int
                var delivered: Int
            }
            return try json(Moved(now: now, settled: settled, delivered: delivered))
        }
        router.get("/v1/clock") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            struct Clock: Encodable {
                var now: Date
                var virtual: Bool
            }
            return try json(Clock(now: self.clock.now(), virtual: self.clock.isVirtual))
        }
    }
}
