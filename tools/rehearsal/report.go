package rehearsal

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Verdicts.
const (
	VerdictDeployed   = "deployed"
	VerdictRolledBack = "rolled back"
	VerdictFailed     = "failed"
	// VerdictStalled (stall.go): the deployment cannot finish under the template's rules.
)

// ms is a duration that reads as milliseconds in JSON.
type ms time.Duration

func (d ms) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(time.Duration(d).Milliseconds(), 10)), nil
}

func (d ms) String() string { return time.Duration(d).Round(time.Millisecond).String() }

// PhaseStats are the requests sent while the deployment was in one phase.
type PhaseStats struct {
	Phase string `json:"phase"`
	Sent  int    `json:"sent"`
	// Failed counts every failure; ByDeployment those the deployment itself caused (the
	// balancer answered, or the connection broke), the rest are 5xx answers of a target.
	Failed       int `json:"failed"`
	ByDeployment int `json:"failed_by_deployment"`
	P50          ms  `json:"p50_ms"`
	P99          ms  `json:"p99_ms"`
}

// Report is a rehearsal's result: for people (Table) and machines (JSON).
type Report struct {
	Stage      string  `json:"stage"`
	Scenario   string  `json:"scenario"`
	Strategy   string  `json:"strategy"`
	Speed      float64 `json:"speed_factor"`
	Longest    ms      `json:"longest_request_ms"`
	ErrorShare float64 `json:"error_share,omitempty"`
	Plan       Plan    `json:"plan"`

	Timeline []Event      `json:"timeline"`
	Phases   []PhaseStats `json:"phases"`
	Total    PhaseStats   `json:"total"`
	Shares   []Share      `json:"traffic_shares,omitempty"`

	Outcome string `json:"ecs_outcome"`
	Reason  string `json:"ecs_reason"`
	// Duration is real time from the deployment's start until ECS's outcome (completed after
	// the alarm bake, failed, or rolled back) with every stopping task stopped; Floor is the
	// computed least time and Margin what the rehearsal allows above it (both real time).
	Duration ms     `json:"duration_ms"`
	Floor    ms     `json:"floor_ms"`
	Margin   ms     `json:"margin_ms"`
	FloorHow string `json:"floor_formula"`
	// ErrorBound is the most 5xx a bad version may answer before the detectors stop it: its
	// share of the traffic times the requests sent while it had that share.
	ErrorBound    int            `json:"error_bound"`
	ErrorBoundHow string         `json:"error_bound_formula,omitempty"`
	Target5xx     int            `json:"target_5xx"`
	Killed        int            `json:"tasks_killed"`
	Serving       map[string]int `json:"serving_versions_at_end"`

	Verdict string   `json:"verdict"`
	Why     []string `json:"verdict_reasons"`
}

func (r *Report) finish(o Options, svc *service, d deployment) {
	r.Timeline = svc.tl.all()
	r.Outcome, r.Reason = d.outcome, d.reason
	r.Duration = ms(d.end.Sub(d.start))
	r.Shares, r.Serving, r.Killed = d.shares, d.serving, svc.killed
	f := o.Plan.Floor(o.Speed)
	r.Floor, r.Margin, r.FloorHow = ms(f.Floor), ms(f.Margin), f.How
	r.Phases, r.Total = phaseStats(d.outcomes)
	for _, oc := range d.outcomes {
		if f, byDeploy := oc.failed(); f && !byDeploy {
			r.Target5xx++
		}
	}
	r.errorBound(o, d.outcomes)
	r.judge()
}

// errorBound: a bad version answers at most ErrorShare of the requests it receives, and it
// receives at most its traffic share of the requests sent in each phase (100 % for rolling
// phases, a rolling rollback and the bake). Slack: one request per task for the fault proxies' rounding and the
// requests in flight when the phase changed.
func (r *Report) errorBound(o Options, outs []outcome) {
	if o.Scenario != ScenarioErrors {
		return
	}
	sent := map[string]int{}
	for _, oc := range outs {
		sent[oc.phase]++
	}
	bound := 0.0
	var terms []string
	for _, ph := range r.Phases {
		share := 1.0
		switch {
		case strings.HasPrefix(ph.Phase, "PRODUCTION_TRAFFIC_SHIFT "):
			pct, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(ph.Phase, "PRODUCTION_TRAFFIC_SHIFT "), "%"), 64)
			share = pct / 100
		case ph.Phase == "ROLLING" || ph.Phase == "alarm bake" || ph.Phase == "BAKE_TIME":
		case ph.Phase == "ROLLBACK" && o.Plan.Strategy == "ROLLING":
			// New tasks keep serving until the rollback has replaced them; an ECS-native
			// rollback re-weights to blue at once (6.4).
		default:
			continue // no traffic reaches the new version (before, SCALE_UP, after)
		}
		bound += o.ErrorShare * share * float64(sent[ph.Phase])
		terms = append(terms, fmt.Sprintf("%g×%g×%d (%s)", o.ErrorShare, share, sent[ph.Phase], ph.Phase))
	}
	slack := 2*o.Plan.DesiredCount + 4
	r.ErrorBound = int(math.Ceil(bound)) + slack
	r.ErrorBoundHow = fmt.Sprintf("error share × traffic share × requests sent, per phase: %s, + %d slack = %d", strings.Join(terms, " + "), slack, r.ErrorBound)
}

// judge: deployed only when ECS completed and no request failed; rolled back only when the
// old version serves at the end and the bad version's 5xx stayed within the bound; any
// request the deployment itself failed, or a task killed by SIGKILL, fails the rehearsal.
func (r *Report) judge() {
	if r.Total.ByDeployment > 0 {
		r.Why = append(r.Why, fmt.Sprintf("%d requests failed because of the deployment itself (cut at the end of the deregistration delay, no healthy target, broken connection)", r.Total.ByDeployment))
	}
	if r.Target5xx > r.ErrorBound {
		r.Why = append(r.Why, fmt.Sprintf("targets answered %d requests with 5xx, bound %d", r.Target5xx, r.ErrorBound))
	}
	if r.Killed > 0 {
		r.Why = append(r.Why, fmt.Sprintf("%d tasks were killed with SIGKILL after the stop timeout", r.Killed))
	}
	if r.Outcome == outcomeStalled { // the old version serves on: what matters is why and what comes next
		r.Verdict = VerdictStalled
		r.Why = append(r.Why, r.Reason, whatNext)
		return
	}
	want := "new"
	switch r.Outcome {
	case outcomeRolledBack:
		want = "old"
		r.Verdict = VerdictRolledBack
	case outcomeCompleted:
		r.Verdict = VerdictDeployed
	default:
		r.Why = append(r.Why, "the deployment failed without a rollback: "+r.Reason)
	}
	if v := "rehearsal-" + want; r.Serving[v] != sumValues(r.Serving) {
		r.Why = append(r.Why, fmt.Sprintf("at the end the balancer serves %v, want only %s", r.Serving, v))
	}
	if len(r.Why) > 0 {
		r.Verdict = VerdictFailed
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func phaseStats(outs []outcome) ([]PhaseStats, PhaseStats) {
	var order []string
	lat := map[string][]time.Duration{}
	stats := map[string]*PhaseStats{}
	total := &PhaseStats{Phase: "total"}
	var all []time.Duration
	for _, o := range outs {
		st, ok := stats[o.phase]
		if !ok {
			st = &PhaseStats{Phase: o.phase}
			stats[o.phase] = st
			order = append(order, o.phase)
		}
		for _, s := range []*PhaseStats{st, total} {
			s.Sent++
			if f, byDeploy := o.failed(); f {
				s.Failed++
				if byDeploy {
					s.ByDeployment++
				}
			}
		}
		lat[o.phase] = append(lat[o.phase], o.latency)
		all = append(all, o.latency)
	}
	var out []PhaseStats
	for _, ph := range order {
		st := stats[ph]
		st.P50, st.P99 = quantile(lat[ph], 0.5), quantile(lat[ph], 0.99)
		out = append(out, *st)
	}
	total.P50, total.P99 = quantile(all, 0.5), quantile(all, 0.99)
	return out, *total
}

func quantile(d []time.Duration, q float64) ms {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return ms(s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)])
}

// WriteJSON writes the report for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "rehearsal of %s: %s deployment, scenario %s, speed ×%g (template waits and the vault's key derivation ÷%g; health-check timeouts and the stop timeout in real time), longest request %v\n\n",
		r.Stage, r.Strategy, r.Scenario, r.Speed, r.Speed, r.Longest)
	fmt.Fprintln(tw, "TIME\tKIND\tTASK\tSTATE\tDETAIL")
	for _, e := range r.Timeline {
		fmt.Fprintf(tw, "+%.3fs\t%s\t%s\t%s\t%s\n", time.Duration(e.At).Seconds(), e.Kind, e.Task, e.State, e.Detail)
	}
	fmt.Fprintln(tw, "\nPHASE\tSENT\tFAILED\tBY DEPLOYMENT\tP50\tP99")
	for _, p := range append(r.Phases, r.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%v\t%v\n", p.Phase, p.Sent, p.Failed, p.ByDeployment, p.P50, p.P99)
	}
	if len(r.Shares) > 0 {
		fmt.Fprintln(tw, "\nWANT %\tOBSERVED %\tREQUESTS")
		for _, s := range r.Shares {
			fmt.Fprintf(tw, "%.1f\t%.1f\t%d\n", s.Want, s.Observed, s.Requests)
		}
	}
	fmt.Fprintf(tw, "\nECS outcome: %s (%s)\n", r.Outcome, r.Reason)
	fmt.Fprintf(tw, "duration %v, floor %v, margin %v (%s)\n", r.Duration, r.Floor, r.Margin, r.FloorHow)
	if r.ErrorBoundHow != "" {
		fmt.Fprintf(tw, "target 5xx %d, bound %s\n", r.Target5xx, r.ErrorBoundHow)
	}
	versions := make([]string, 0, len(r.Serving))
	for v, n := range r.Serving {
		versions = append(versions, fmt.Sprintf("%s ×%d", v, n))
	}
	sort.Strings(versions)
	fmt.Fprintf(tw, "serving at the end: %s\n", strings.Join(versions, ", "))
	fmt.Fprintf(tw, "verdict: %s\n", strings.ToUpper(r.Verdict))
	for _, why := range r.Why {
		fmt.Fprintf(tw, "  - %s\n", why)
	}
	return tw.Flush()
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(v)
}
