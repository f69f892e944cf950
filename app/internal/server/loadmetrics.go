package server

import (
	"sync/atomic"
	"time"

	"github.com/keelstack/keel/app/internal/admission"
	"github.com/keelstack/keel/app/internal/store"
	"github.com/keelstack/keel/app/internal/telemetry"
)

// Load metrics: what admission control holds, refused and made wait, and the database pool's
// connections in use and acquire wait, each interval. They read 0 without a limiter or a
// database, so a stage's set of metrics (and its price) does not depend on its settings.
const (
	MetricAdmissionInflight  = "AdmissionInflight"
	MetricAdmissionRefused   = "AdmissionRefused"
	MetricAdmissionQueueTime = "AdmissionQueueTime"
	MetricDBPoolInUse        = "DBPoolInUse"
	MetricDBPoolAcquireWait  = "DBPoolAcquireWait"
)

func registerAdmissionMetrics(r telemetry.Registry, l *admission.Limiter) {
	stats := func() admission.Stats {
		if l == nil {
			return admission.Stats{}
		}
		return l.Stats()
	}
	r.Gauge(MetricAdmissionInflight, telemetry.Count, func() float64 { return float64(stats().Inflight) })
	var refused, queued atomic.Int64
	r.Gauge(MetricAdmissionRefused, telemetry.Count, func() float64 {
		return float64(since(&refused, int64(stats().Refused())))
	})
	r.Gauge(MetricAdmissionQueueTime, telemetry.Milliseconds, func() float64 {
		return float64(time.Duration(since(&queued, int64(stats().QueueTime))).Milliseconds())
	})
}

func registerDatabaseMetrics(r telemetry.Registry, slot *dbSlot) {
	stats := func() store.Stats {
		if db := slot.p.Load(); db != nil {
			return db.Stats()
		}
		return store.Stats{}
	}
	r.Gauge(MetricDBPoolInUse, telemetry.Count, func() float64 { return float64(stats().Acquired) })
	var waited atomic.Int64
	r.Gauge(MetricDBPoolAcquireWait, telemetry.Milliseconds, func() float64 {
		return float64(time.Duration(since(&waited, int64(stats().AcquireWait))).Milliseconds())
	})
}

// since turns a cumulative counter into what it grew by since the last reading (0 when it
// restarted, as a pool opened after the boot does).
func since(last *atomic.Int64, now int64) int64 {
	return max(now-last.Swap(now), 0)
}
