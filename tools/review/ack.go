package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Acknowledgements let a broadening through the guard, visibly: the pull request's
// allow-broadening label (ALLOW_BROADENING=true) lets every one through, an allowlist entry in
// the repository lets one through by its ID, with the reason the comment then shows.
type Acknowledgements struct {
	Label     bool
	Allowlist map[string]string // finding ID → reason
}

// allowlistFile is the allowlist's format: {"allow": [{"id": "…", "reason": "…"}]}.
type allowlistFile struct {
	Allow []struct {
		ID     string `json:"id"`
		Reason string `json:"reason"`
	} `json:"allow"`
}

var findingID = regexp.MustCompile(`^[0-9a-f]{12}$`)

// ReadAllowlist reads an allowlist file; every entry needs an ID from a review comment and a
// reason.
func ReadAllowlist(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("review: allowlist: %w", err)
	}
	var f allowlistFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf(`review: allowlist %s: %w (want {"allow": [{"id": "<12 hex digits from the review>", "reason": "why"}]})`, file, err)
	}
	out := map[string]string{}
	for i, e := range f.Allow {
		if !findingID.MatchString(e.ID) {
			return nil, fmt.Errorf("review: allowlist %s: entry %d: id %q is not a finding ID (12 hex digits, as the review comment shows it)", file, i+1, e.ID)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("review: allowlist %s: entry %s has no reason: say why the broadening is intended", file, e.ID)
		}
		out[e.ID] = strings.TrimSpace(e.Reason)
	}
	return out, nil
}

// apply marks each broadening of s that an acknowledgement lets through.
func (a Acknowledgements) apply(s *Security) {
	for i := range s.Statements {
		s.Statements[i].Ack = a.ack(s.Statements[i].Broad, s.Statements[i].ID)
	}
	for i := range s.Attachments {
		s.Attachments[i].Ack = a.ack(s.Attachments[i].Broad, s.Attachments[i].ID)
	}
	for i := range s.Rules {
		s.Rules[i].Ack = a.ack(s.Rules[i].Broad, s.Rules[i].ID)
	}
	for i := range s.Listeners {
		s.Listeners[i].Ack = a.ack(s.Listeners[i].Broad, s.Listeners[i].ID)
	}
}

func (a Acknowledgements) ack(broad bool, id string) string {
	switch {
	case !broad:
		return ""
	case a.Allowlist[id] != "":
		return "allowlist: " + a.Allowlist[id]
	case a.Label:
		return "label allow-broadening"
	}
	return ""
}
