package settings

import (
	"strings"
	"testing"
)

func TestOverloadSettingsValidated(t *testing.T) {
	for _, tt := range []struct {
		override string
		want     string
	}{
		{`{"admission":{"maxInflight":-1}}`, "keel:dev.admission.maxInflight = -1: use a positive number"},
		{`{"admission":{"backlog":-2}}`, "keel:dev.admission.backlog = -2"},
		{`{"admission":{"maxWaitMilliseconds":2000}}`, "keel:dev.admission.maxWaitMilliseconds = 2000: use 1 to 1999: below deployment.alarms.p99LatencyMilliseconds"},
		{`{"admission":{"requestTimeoutSeconds":30}}`, "keel:dev.admission.requestTimeoutSeconds = 30: use 1 to 15"},
		{`{"waf":{"enabled":true,"requestsPerIpPerFiveMinutes":5}}`, "keel:dev.waf.requestsPerIpPerFiveMinutes = 5: AWS WAF's rate-based rule accepts 10"},
		{`{"scaling":{"scaleInCooldownSeconds":-1}}`, "keel:dev.scaling.scaleInCooldownSeconds = -1"},
		{`{"scaling":{"requestsPerTarget":-5}}`, "keel:dev.scaling.requestsPerTarget = -5"},
	} {
		_, err := FromContext(map[string]any{"keel:dev": tt.override})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.override, err, tt.want)
		}
	}
}

func TestDerivedLimits(t *testing.T) {
	for cpu, want := range map[int]int{256: 16, 512: 32, 1024: 64, 4096: 256} {
		a := Admission{}.Limits(cpu)
		if a.MaxInflight != want || a.Backlog != want {
			t.Errorf("cpu %d: %+v, want %d in flight and as many waiting", cpu, a, want)
		}
	}
	if a := (Admission{MaxInflight: 3, Backlog: 1}).Limits(1024); a.MaxInflight != 3 || a.Backlog != 1 {
		t.Errorf("set limits must stay: %+v", a)
	}
	if got := (Scaling{}).RequestsPerTargetFor(1024); got != int(0.7*KneeRequestsPerSecondPerVCPU*60) {
		t.Errorf("derived requests per target %d", got)
	}
	if got := (Scaling{RequestsPerTarget: 42}).RequestsPerTargetFor(1024); got != 42 {
		t.Errorf("a set target must stay: %d", got)
	}
}
