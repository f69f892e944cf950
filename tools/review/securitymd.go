package review

import (
	"fmt"
	"strings"
)

// writeStageSecurity opens a stage's review with what its change does to permissions and
// network exposure.
func writeStageSecurity(b *strings.Builder, s Stage) {
	b.WriteString("#### Security\n\n")
	if len(s.Errors) > 0 {
		b.WriteString("**Synthesis errors in the head** (`make synth` fails on them; the review synthesized past them to show the change):\n\n")
		for _, e := range s.Errors {
			fmt.Fprintf(b, "- %s\n", cell(e))
		}
		b.WriteString("\n")
	}
	changed := false
	for _, st := range s.Stacks {
		if !st.Security.Empty() {
			writeSecurity(b, st.Name, st.Security)
			changed = true
		}
	}
	if !changed {
		b.WriteString("No IAM statement, managed-policy attachment, security-group rule or listener changes.\n\n")
	}
}

// writeSecurity writes a stack's security section: a verdict and one plain table per kind of
// change. Every cell is template data, written as inline code that cannot close early.
func writeSecurity(b *strings.Builder, stack string, s Security) {
	switch n := s.Unacknowledged(); {
	case n > 0:
		fmt.Fprintf(b, "Security of `%s`: **blocks**: %d broadening(s) not acknowledged.\n\n", stack, n)
	default:
		fmt.Fprintf(b, "Security of `%s`: passes (nothing broadens, or each broadening is acknowledged below).\n\n", stack)
	}
	if len(s.Statements) > 0 {
		b.WriteString("| | subject | effect | actions | resources | principal | condition | verdict |\n|---|---|---|---|---|---|---|---|\n")
		for _, c := range s.Statements {
			st := c.Item
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", sign(c.Added), cell(st.Subject+" ("+st.Source+")"), cell(st.Effect),
				cell(strings.Join(st.Actions, ", ")), cell(strings.Join(st.Resources, ", ")), cell(st.Principal), cell(st.Condition), verdict(c.Broad, c.Verdict, c.ID, c.Ack))
		}
		b.WriteString("\n")
	}
	if len(s.Attachments) > 0 {
		b.WriteString("| | subject | managed policy | verdict |\n|---|---|---|---|\n")
		for _, c := range s.Attachments {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", sign(c.Added), cell(c.Item.Subject), cell(c.Item.Policy), verdict(c.Broad, c.Verdict, c.ID, c.Ack))
		}
		b.WriteString("\n")
	}
	if len(s.Rules) > 0 {
		b.WriteString("| | security group | direction | protocol | ports | peer | verdict |\n|---|---|---|---|---|---|---|\n")
		for _, c := range s.Rules {
			r := c.Item
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", sign(c.Added), cell(r.Group), r.Direction, cell(r.Protocol), cell(r.Ports()), cell(r.Peer), verdict(c.Broad, c.Verdict, c.ID, c.Ack))
		}
		b.WriteString("\n")
	}
	if len(s.Listeners) > 0 {
		b.WriteString("| | load balancer | scheme | port | protocol | verdict |\n|---|---|---|---|---|---|\n")
		for _, c := range s.Listeners {
			l := c.Item
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", sign(c.Added), cell(l.LoadBalancer), cell(l.Scheme), cell(l.Port), cell(l.Protocol), verdict(c.Broad, c.Verdict, c.ID, c.Ack))
		}
		b.WriteString("\n")
	}
}

func sign(added bool) string {
	if added {
		return "+"
	}
	return "−"
}

// verdict renders a change's verdict: a broadening carries its ID (for an allowlist entry)
// and either its acknowledgement or that it blocks.
func verdict(broad bool, why, id, ack string) string {
	switch {
	case !broad:
		return cell(why)
	case ack != "":
		return "**" + cell(why) + "**, acknowledged (" + cell(ack) + "), id `" + id + "`"
	}
	return "**" + cell(why) + "**: blocks, id `" + id + "`"
}

// cell writes template text as inline code in a table cell: one line, pipes escaped, in a
// backtick run longer than any inside it.
func cell(text string) string {
	if text == "" {
		return ""
	}
	text = strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`).Replace(text)
	longest := longestBackticks(text)
	fence := strings.Repeat("`", longest+1)
	if longest > 0 {
		return fence + " " + text + " " + fence
	}
	return fence + text + fence
}

// writeBanners names, at the top of the comment, everything a label or an allowlist let
// through, so that an acknowledged risk is never only inside a collapsed section.
func (r Report) writeBanners(b *strings.Builder) {
	var replaced, acked []string
	for _, s := range r.Stages {
		for _, st := range s.Stacks {
			if !st.Blocked {
				for _, f := range st.Replaced {
					replaced = append(replaced, cell(st.Name+": "+f))
				}
			}
			for _, c := range st.Security.Statements {
				if c.Ack != "" {
					acked = append(acked, cell(st.Name+": "+c.Item.Subject+" "+c.Item.Effect+" "+strings.Join(c.Item.Actions, ",")+" on "+strings.Join(c.Item.Resources, ","))+" ("+cell(c.Ack)+")")
				}
			}
			for _, c := range st.Security.Attachments {
				if c.Ack != "" {
					acked = append(acked, cell(st.Name+": "+c.Item.Subject+" attaches "+c.Item.Policy)+" ("+cell(c.Ack)+")")
				}
			}
			for _, c := range st.Security.Rules {
				if c.Ack != "" {
					acked = append(acked, cell(st.Name+": "+c.Item.Group+" "+c.Item.Direction+" "+c.Item.Protocol+"/"+c.Item.Ports()+" "+c.Item.Peer)+" ("+cell(c.Ack)+")")
				}
			}
			for _, c := range st.Security.Listeners {
				if c.Ack != "" {
					acked = append(acked, cell(st.Name+": "+c.Item.LoadBalancer+" "+c.Item.Scheme+" "+c.Item.Protocol+":"+c.Item.Port)+" ("+cell(c.Ack)+")")
				}
			}
		}
	}
	if len(replaced) > 0 {
		fmt.Fprintf(b, "> [!WARNING]\n> **ALLOW_REPLACEMENT=true let through** (label allow-replacement): %s\n\n", strings.Join(replaced, "; "))
	}
	if len(acked) > 0 {
		fmt.Fprintf(b, "> [!WARNING]\n> **Security broadenings let through by acknowledgement**: %s\n\n", strings.Join(acked, "; "))
	}
}
