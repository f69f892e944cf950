package logs

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// levels are log/slog's, in order.
var levels = []string{"DEBUG", "INFO", "WARN", "ERROR"}

func levelRank(l string) int { return slices.Index(levels, strings.ToUpper(l)) }

func levelsFrom(l string) []string { return levels[levelRank(l):] }

// line is one log event's message: the service's slog JSON (time, level, msg and attributes),
// or anything else as text.
type line struct {
	raw    string
	fields map[string]any
}

func parse(msg string) line {
	l := line{raw: strings.TrimRight(msg, "\n")}
	var fields map[string]any
	if json.Unmarshal([]byte(l.raw), &fields) == nil {
		l.fields = fields
	}
	return l
}

func (l line) str(key string) string {
	v, _ := l.fields[key].(string)
	return v
}

// keep applies --request-id and --level to the line itself; a line that is not JSON has
// neither, so either flag drops it.
func (l line) keep(o options) bool {
	if o.requestID != "" && l.str("request_id") != o.requestID {
		return false
	}
	if o.level != "" && levelRank(l.str("level")) < levelRank(o.level) {
		return false
	}
	return true
}

// write prints the line: raw, or as "time level msg key=value ... [task]" for people.
func (l line) write(w io.Writer, at time.Time, stream string, raw bool) error {
	if raw {
		_, err := fmt.Fprintln(w, l.raw)
		return err
	}
	task := stream[strings.LastIndex(stream, "/")+1:]
	stamp := at.UTC().Format("2006-01-02T15:04:05.000Z")
	if l.fields == nil {
		_, err := fmt.Fprintf(w, "%s %-5s %s  [%s]\n", stamp, "-", l.raw, task)
		return err
	}
	keys := make([]string, 0, len(l.fields))
	for k := range l.fields {
		if k != "time" && k != "level" && k != "msg" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, value(l.fields[k]))
	}
	_, err := fmt.Fprintf(w, "%s %-5s %s%s  [%s]\n", stamp, l.str("level"), l.str("msg"), b.String(), task)
	return err
}

func value(v any) string {
	switch v := v.(type) {
	case string:
		if strings.ContainsAny(v, " \t\"=") {
			return fmt.Sprintf("%q", v)
		}
		return v
	case float64, bool, nil:
		return fmt.Sprint(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
