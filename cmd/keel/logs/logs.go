// Package logs is `keel logs STAGE`: the service's log group (stack output LogGroupName) from
// every task's stream, read with CloudWatch Logs' FilterLogEvents, so that --follow keeps
// going when ECS replaces a task (the new task writes to a new stream of the same group).
package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/keelstack/keel/cmd/internal/awsstage"
	"github.com/keelstack/keel/cmd/internal/cli"
)

// options are the flags of one run.
type options struct {
	since     time.Duration
	follow    bool
	filter    string
	requestID string
	level     string
	raw       bool
	interval  time.Duration
}

// Run is `keel logs STAGE [--since 10m] [--follow] [--filter PATTERN] [--request-id ID] [--level LEVEL] [--json]`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("logs", "keel logs STAGE [flags]", "The service's log lines from every task, readable (or raw with --json).", stderr)
	var o options
	fs.DurationVar(&o.since, "since", 10*time.Minute, "start this long ago")
	fs.BoolVar(&o.follow, "follow", false, "keep printing new lines, across task replacements, until Ctrl-C")
	fs.StringVar(&o.filter, "filter", "", "a CloudWatch Logs filter pattern, e.g. '\"timeout\"' or '{ $.status >= 500 }'")
	fs.StringVar(&o.requestID, "request-id", "", "only the lines of this request (the X-Request-Id the service logs as request_id)")
	fs.StringVar(&o.level, "level", "", "only lines at this level or above: DEBUG, INFO, WARN, ERROR")
	fs.BoolVar(&o.raw, "json", false, "print each line as the service wrote it (JSON), for scripts")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "with --follow, time between reads")
	cdkJSON := awsstage.SettingsFlag(fs)
	stage, err := cli.Parse(fs, args)
	if stage == "" || err != nil {
		return err
	}
	if o.level != "" && levelRank(o.level) < 0 {
		return cli.Usage(fmt.Errorf("--level %q: use DEBUG, INFO, WARN or ERROR", o.level))
	}
	if o.since <= 0 || o.interval <= 0 {
		return cli.Usage(errors.New("--since and --interval must be positive durations, e.g. --since 1h"))
	}
	st, err := awsstage.Open(ctx, *cdkJSON, stage)
	if err != nil {
		return err
	}
	group, err := st.Output(awsstage.OutputLogGroup)
	if err != nil {
		return err
	}
	r := &reader{logs: st.Logs, group: group, opts: o, out: stdout, seen: map[string]bool{}}
	r.from = time.Now().Add(-o.since)
	if err := r.read(ctx); err != nil {
		return err
	}
	if !o.follow {
		return nil
	}
	fmt.Fprintf(stderr, "keel logs: following %s (Ctrl-C stops)\n", group)
	for {
		select {
		case <-ctx.Done():
			return nil // Ctrl-C is how --follow ends
		case <-time.After(o.interval):
		}
		if err := r.read(ctx); err != nil && ctx.Err() == nil {
			return err
		}
	}
}

// reader reads the group from a point in time on, each event once.
type reader struct {
	logs  *cloudwatchlogs.Client
	group string
	opts  options
	out   io.Writer
	from  time.Time
	// seen holds the event IDs at from's millisecond: the next read starts there again, since
	// events of one millisecond can arrive in two reads.
	seen map[string]bool
}

func (r *reader) read(ctx context.Context) error {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(r.group), StartTime: aws.Int64(r.from.UnixMilli())}
	if p := pattern(r.opts); p != "" {
		in.FilterPattern = aws.String(p)
	}
	for {
		page, err := r.logs.FilterLogEvents(ctx, in)
		if err != nil {
			return awsstage.Describe(err, "read log group "+r.group)
		}
		for _, e := range page.Events {
			id, ts := aws.ToString(e.EventId), time.UnixMilli(aws.ToInt64(e.Timestamp))
			if r.seen[id] {
				continue
			}
			if ts.After(r.from) {
				r.from, r.seen = ts, map[string]bool{}
			}
			r.seen[id] = true
			line := parse(aws.ToString(e.Message))
			if !line.keep(r.opts) {
				continue
			}
			if err := line.write(r.out, ts, aws.ToString(e.LogStreamName), r.opts.raw); err != nil {
				return err
			}
		}
		if page.NextToken == nil {
			return nil
		}
		in.NextToken = page.NextToken
	}
}

// pattern is the filter pattern sent to CloudWatch: --filter as given, or else the JSON
// conditions for --request-id and --level (CloudWatch Logs filter pattern syntax,
// "Using filter patterns to match terms in JSON log events"). The same conditions are
// checked again on each line, so a --filter combined with them still narrows correctly.
func pattern(o options) string {
	if o.filter != "" {
		return o.filter
	}
	var conds []string
	if o.requestID != "" {
		conds = append(conds, fmt.Sprintf(`($.request_id = %q)`, o.requestID))
	}
	if o.level != "" {
		var levels []string
		for _, l := range levelsFrom(o.level) {
			levels = append(levels, fmt.Sprintf(`$.level = %q`, l))
		}
		conds = append(conds, "("+strings.Join(levels, " || ")+")")
	}
	if len(conds) == 0 {
		return ""
	}
	return "{ " + strings.Join(conds, " && ") + " }"
}
