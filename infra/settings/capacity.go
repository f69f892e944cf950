package settings

// KneeRequestsPerSecondPerVCPU is one task's capacity per vCPU: the knee of throughput
// against p99 latency that `make bench BENCH_FLAGS="-only capacity"` measures on the real
// server binary ("capacity: knee", per vCPU in its note). Measured 2026-12-07: 1 846 req/s
// on GET /api/v1/database (now GET /api/v1/greetings?name=, as cheap) at 1/16 vCPU, 29 534 per vCPU, on 2 shared cores under a load
// average of ~16. The example API is CPU-bound and cheap; measure again (on the route that
// dominates traffic) when the API's cost per request changes, such as when handlers query a
// database.
const KneeRequestsPerSecondPerVCPU = 29_500

// targetShareOfKnee is the share of the knee that request-count scaling holds each task at:
// 70 % leaves room for the minute it takes the metric to show a rise and the tasks to start,
// while admission control refuses what exceeds the knee meanwhile.
const targetShareOfKnee = 0.70

// RequestsPerTargetFor is scaling.requestsPerTarget, or when it is 0 the documented rule:
// 70 % of the measured knee per vCPU, times the task's vCPU, per minute (the ALB's
// RequestCountPerTarget metric is a per-minute sum).
func (sc Scaling) RequestsPerTargetFor(taskCPU int) int {
	if sc.RequestsPerTarget > 0 {
		return sc.RequestsPerTarget
	}
	return int(targetShareOfKnee * KneeRequestsPerSecondPerVCPU * float64(taskCPU) / 1024 * 60)
}
