package review

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keelstack/keel/tools/cost"
)

// Budget is the most a comment may hold: GitHub refuses comments over 65,536 characters, and
// counting bytes (never fewer than characters) leaves room for the sticky comment's header.
const Budget = 60000

// maxDiff bounds one stack's diff in the comment even when the budget would allow more: a
// reviewer reads a long diff in the full review anyway.
const maxDiff = 12000

// WriteMarkdown writes the review as one pull-request comment within Budget: the per-stack
// template diffs are cut first (evenly), and only if that is not enough is the comment
// itself cut; each cut points to the full review. Template text is data from the pull
// request: it goes only inside code fences longer than any backtick run it contains, so it
// cannot close the fence and inject markdown.
func (r Report) WriteMarkdown(w io.Writer) error {
	text := r.render(maxDiff)
	if len(text) > Budget {
		diffs := 0
		for _, s := range r.Stages {
			diffs += len(s.Stacks)
		}
		without := len(r.render(0))
		text = r.render(max(0, (Budget-without)/max(1, diffs)-200))
	}
	if len(text) > Budget {
		note := "\n\n… (the review is cut here to fit a pull-request comment: " + r.fullReview() + ")\n"
		text = strings.ToValidUTF8(text[:Budget-len(note)], "") + note
	}
	_, err := io.WriteString(w, text)
	return err
}

// WriteFull writes the review with nothing cut: the artifact the comment points to.
func (r Report) WriteFull(w io.Writer) error {
	_, err := io.WriteString(w, r.render(-1))
	return err
}

// fullReview says where the uncut review is.
func (r Report) fullReview() string {
	if r.FullURL != "" {
		return "the full review is the artifact `review` of " + r.FullURL
	}
	return "run make review for the full review"
}

// render writes the review with each stack's diff cut at diffCap bytes (no cut when
// negative).
func (r Report) render(diffCap int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## keel review: %s → %s\n\n", r.Base, r.Head)
	b.WriteString("Synthesized offline from both revisions (no AWS credentials): per stage the replacement guard, the monthly cost at the minimum and maximum task count (prices in `tools/cost/prices.json`, usage in `tools/cost/usage.json`), and the template diff.\n\n")
	r.writeBanners(&b)
	if len(r.Borrowed) > 0 {
		fmt.Fprintf(&b, "The base's `prices.json` predates %s: the base is priced with the head's for those.\n\n", strings.Join(r.Borrowed, ", "))
	}
	if r.replacementBlocked() {
		b.WriteString("**The replacement guard blocks this change**: a stateful or identity-carrying resource would be replaced or destroyed. If that is intended, label the pull request `allow-replacement`.\n\n")
	}
	if slices.ContainsFunc(r.Stages, func(s Stage) bool { return len(s.Errors) > 0 }) {
		b.WriteString("**The head has synthesis errors** (cdk-nag findings or settings errors, listed per stage under Security): `make synth` fails on them.\n\n")
	}
	if r.securityBlocked() {
		b.WriteString("**The security guard blocks this change**: a permission or a network exposure broadens (tables below). If that is intended, label the pull request `allow-broadening`, or add each finding's id with a reason to `review-allowlist.json`.\n\n")
	}
	for _, s := range r.Stages {
		r.writeStage(&b, s, diffCap)
	}
	return b.String()
}

func (r Report) writeStage(b *strings.Builder, s Stage, diffCap int) {
	fmt.Fprintf(b, "### %s\n\n", s.Name)
	writeStageSecurity(b, s)
	fmt.Fprintf(b, "Cost (USD/month, %s): before %s, after %s, change **%s**\n\n",
		tasks(s.After, s.Before), span(s.Before.MinUSD, s.Before.MaxUSD), span(s.After.MinUSD, s.After.MaxUSD),
		signedSpan(s.After.MinUSD-s.Before.MinUSD, s.After.MaxUSD-s.Before.MaxUSD))
	for _, st := range s.Stacks {
		verdict := "passes"
		if st.Blocked {
			verdict = "**blocks**"
		}
		fmt.Fprintf(b, "Guard on `%s`: %s\n%s\n", st.Name, verdict, fenced(st.Guard))
	}
	if len(s.After.Unpriced) > 0 {
		fmt.Fprintf(b, "Resource types not priced (add them to tools/cost): %s\n\n", strings.Join(s.After.Unpriced, ", "))
	}
	fmt.Fprintf(b, "<details><summary>Cost by line (storage as month %d after the first deploy holds it)</summary>\n\n", s.After.Month)
	writeChanges(b, "item", s.Before, s.After, s.Cost)
	b.WriteString("</details>\n\n<details><summary>Cost by resource</summary>\n\n")
	writeChanges(b, "resource", s.Before, s.After, cost.CompareResources(s.Before, s.After))
	if len(s.After.NotPriced) > 0 {
		b.WriteString("Left out on purpose:\n\n")
		for _, n := range s.After.NotPriced {
			fmt.Fprintf(b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	for _, st := range s.Stacks {
		diff := st.Diff
		if diffCap >= 0 && len(diff) > diffCap {
			diff = strings.ToValidUTF8(diff[:diffCap], "") + "\n… (cut to fit the comment: " + r.fullReview() + ")"
		}
		fmt.Fprintf(b, "<details><summary>Template diff: %s</summary>\n\n%s\n</details>\n\n", st.Name, fenced(diff))
	}
}

// writeChanges writes a table of costs before and after, at the minimum and maximum task count.
func writeChanges(b *strings.Builder, what string, before, after cost.Estimate, changes []cost.Change) {
	fmt.Fprintf(b, "| %s | before @%d | after @%d | change | before @%d | after @%d | change |\n|---|--:|--:|--:|--:|--:|--:|\n",
		what, before.MinTasks, after.MinTasks, before.MaxTasks, after.MaxTasks)
	for _, c := range changes {
		fmt.Fprintf(b, "| %s | %.2f | %.2f | %s | %.2f | %.2f | %s |\n", c.Item, c.BeforeMin, c.AfterMin, signed(c.DeltaMin()), c.BeforeMax, c.AfterMax, signed(c.DeltaMax()))
	}
	b.WriteString("\n")
}

// fenced wraps text in a code fence longer than the longest backtick run inside it.
func fenced(text string) string {
	fence := strings.Repeat("`", max(3, longestBackticks(text)+1))
	return fence + "\n" + text + "\n" + fence + "\n"
}

// longestBackticks is the length of the longest run of backticks in text.
func longestBackticks(text string) int {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

func tasks(after, before cost.Estimate) string {
	if after.MinTasks == before.MinTasks && after.MaxTasks == before.MaxTasks {
		return fmt.Sprintf("%d–%d tasks", after.MinTasks, after.MaxTasks)
	}
	return fmt.Sprintf("%d–%d tasks, before %d–%d", after.MinTasks, after.MaxTasks, before.MinTasks, before.MaxTasks)
}

func span(lo, hi float64) string { return fmt.Sprintf("%.2f–%.2f", lo, hi) }

func signedSpan(lo, hi float64) string { return signed(lo) + " / " + signed(hi) }

func signed(v float64) string {
	if v > -0.005 && v < 0.005 {
		return "0.00"
	}
	return fmt.Sprintf("%+.2f", v)
}
