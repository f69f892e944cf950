package review

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Security is what a change does to who may do what and who may reach what in one stack:
// the IAM statements and managed-policy attachments, the security-group rules and the load
// balancer listeners that were added or removed. A changed statement or rule is the old one
// removed and the new one added; the verdict of the added one says whether it broadens.
type Security struct {
	Statements  []Change[Statement]
	Attachments []Change[Attachment]
	Rules       []Change[Rule]
	Listeners   []Change[Listener]
}

// Change is one added or removed item with its verdict.
type Change[T any] struct {
	Item    T
	Added   bool
	Broad   bool   // it gives (or, for a removed Deny, stops denying) something base did not
	Verdict string // why, in words
	// ID names a broadening for an allowlist entry; Ack is the acknowledgement that lets it
	// through ("" when none).
	ID  string
	Ack string
}

// Empty reports whether nothing security-relevant changed.
func (s Security) Empty() bool {
	return len(s.Statements)+len(s.Attachments)+len(s.Rules)+len(s.Listeners) == 0
}

// Unacknowledged counts the broadenings no acknowledgement lets through.
func (s Security) Unacknowledged() int {
	n := 0
	count := func(broad bool, ack string) {
		if broad && ack == "" {
			n++
		}
	}
	for _, c := range s.Statements {
		count(c.Broad, c.Ack)
	}
	for _, c := range s.Attachments {
		count(c.Broad, c.Ack)
	}
	for _, c := range s.Rules {
		count(c.Broad, c.Ack)
	}
	for _, c := range s.Listeners {
		count(c.Broad, c.Ack)
	}
	return n
}

// compareSecurity compares the security-relevant parts of one stack's two templates.
func compareSecurity(stack string, base, head template) Security {
	var s Security
	bs, ba := statements(base)
	hs, ha := statements(head)
	s.Statements = diff(stack, bs, hs, Statement.key, func(st Statement, added bool) (bool, string) {
		switch {
		case added && st.Effect == "Deny":
			return false, "narrows: a new Deny"
		case added && covered(st, bs):
			return false, "no wider: base already allowed every action on every resource here"
		case added:
			return true, "broadens: gives actions or resources that base did not"
		case st.Effect == "Deny" && !covered(st, hs):
			return true, "broadens: a Deny is gone"
		}
		return false, "narrows"
	})
	s.Attachments = diff(stack, ba, ha, func(a Attachment) string { return a.Subject + "\x00" + a.Policy },
		func(_ Attachment, added bool) (bool, string) {
			if added {
				return true, "broadens: a managed policy attached (its statements are not in the template)"
			}
			return false, "narrows"
		})
	br, hr := rules(base), rules(head)
	s.Rules = diff(stack, br, hr, Rule.key, func(r Rule, added bool) (bool, string) {
		switch {
		case added && ruleCovered(r, br):
			return false, "no wider: base already allowed this peer, protocol and port"
		case added && r.Internet():
			return true, "broadens: open to the internet"
		case added:
			return true, "broadens: a new peer, protocol or port"
		}
		return false, "narrows"
	})
	bl, hl := listeners(base), listeners(head)
	s.Listeners = diff(stack, bl, hl, Listener.key, func(l Listener, added bool) (bool, string) {
		if added {
			return true, "broadens: a new listening port or scheme (" + l.Scheme + ")"
		}
		return false, "narrows"
	})
	return s
}

// diff lists the items only one side has, each judged by verdict.
func diff[T any](stack string, base, head []T, key func(T) string, verdict func(T, bool) (bool, string)) []Change[T] {
	keys := func(list []T) map[string]bool {
		m := map[string]bool{}
		for _, x := range list {
			m[key(x)] = true
		}
		return m
	}
	inBase, inHead := keys(base), keys(head)
	var out []Change[T]
	add := func(x T, added bool) {
		broad, why := verdict(x, added)
		c := Change[T]{Item: x, Added: added, Broad: broad, Verdict: why}
		if broad {
			sum := sha256.Sum256([]byte(stack + "\x00" + key(x)))
			c.ID = hex.EncodeToString(sum[:6])
		}
		out = append(out, c)
	}
	for _, x := range head {
		if !inBase[key(x)] {
			add(x, true)
		}
	}
	for _, x := range base {
		if !inHead[key(x)] {
			add(x, false)
		}
	}
	// Duplicates (the same statement twice) would show twice: keep the first.
	return slices.CompactFunc(out, func(a, b Change[T]) bool { return a.Added == b.Added && key(a.Item) == key(b.Item) })
}
