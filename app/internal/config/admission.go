package config

import (
	"fmt"
	"time"
)

// Admission is the service's admission control (package admission). The CDK app derives it
// from the task's vCPU (infra/settings/admission.go); the defaults here are its values for
// one vCPU, for a service run outside ECS.
type Admission struct {
	// MaxInflight is how many API requests run at once; 0 turns admission control off.
	MaxInflight int
	// Backlog is how many more wait for a slot, each at most MaxWait, before a 503.
	Backlog int
	MaxWait time.Duration
	// RequestTimeout is each API request's deadline.
	RequestTimeout time.Duration
}

// MaxRequestTimeout is the server's ReadTimeout: a request's deadline also bounds the reading
// of its body, and must not extend what the server allows.
const MaxRequestTimeout = 15 * time.Second

func (r *reader) admission() Admission {
	a := Admission{
		MaxInflight:    r.int("ADMISSION_MAX_INFLIGHT", 64),
		Backlog:        r.int("ADMISSION_BACKLOG", 64),
		MaxWait:        r.duration("ADMISSION_MAX_WAIT", 500*time.Millisecond),
		RequestTimeout: r.duration("REQUEST_TIMEOUT", 10*time.Second),
	}
	if a.MaxInflight < 0 {
		r.fail("ADMISSION_MAX_INFLIGHT", fmt.Sprint(a.MaxInflight), "use a positive number of requests, or 0 to turn admission control off")
	}
	if a.Backlog < 0 {
		r.fail("ADMISSION_BACKLOG", fmt.Sprint(a.Backlog), "use 0 (refuse as soon as every slot is taken) or more")
	}
	if a.MaxWait <= 0 && a.Backlog > 0 {
		r.fail("ADMISSION_MAX_WAIT", a.MaxWait.String(), "use a positive duration such as 500ms (or ADMISSION_BACKLOG=0)")
	}
	if a.RequestTimeout <= 0 || a.RequestTimeout > MaxRequestTimeout {
		r.fail("REQUEST_TIMEOUT", a.RequestTimeout.String(), "use a positive duration up to "+MaxRequestTimeout.String()+" (the server's read timeout) such as 10s")
	}
	return a
}
