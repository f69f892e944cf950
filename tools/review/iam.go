package review

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Statement is one IAM policy statement as it applies to one subject: an identity (a role,
// user or group, through an inline policy, a customer-managed policy or a trust policy) or a
// resource whose policy it is (a bucket, topic, key, secret, queue or repository).
type Statement struct {
	Subject   string   `json:"subject"`
	Source    string   `json:"source"` // the resource that holds the statement
	Effect    string   `json:"effect"`
	Principal string   `json:"principal,omitempty"`
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
	Condition string   `json:"condition,omitempty"`
}

// key identifies a statement for the before/after comparison.
func (s Statement) key() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Attachment is a managed policy attached to an identity by ARN (an AWS-managed policy or one
// from another stack): its statements are not in the template, so any new one broadens.
type Attachment struct {
	Subject string `json:"subject"`
	Policy  string `json:"policy"`
}

// resourcePolicies are the resource policies a template may carry: the resource type, the property
// that holds the document, and the property that names the resource it guards.
var resourcePolicies = []struct{ typ, doc, target string }{
	{"AWS::S3::BucketPolicy", "PolicyDocument", "Bucket"},
	{"AWS::SNS::TopicPolicy", "PolicyDocument", "Topics"},
	{"AWS::SQS::QueuePolicy", "PolicyDocument", "Queues"},
	{"AWS::SecretsManager::ResourcePolicy", "ResourcePolicy", "SecretId"},
	{"AWS::KMS::Key", "KeyPolicy", ""},
	{"AWS::ECR::Repository", "RepositoryPolicyText", ""},
	{"AWS::SecretsManager::Secret", "ResourcePolicy", ""},
}

// identityTypes hold inline policies and managed policy attachments.
var identityTypes = map[string]string{"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}

// statements lists every IAM statement of a template by subject, and every managed policy
// attachment by ARN.
func statements(t template) ([]Statement, []Attachment) {
	var out []Statement
	var attached []Attachment
	for _, r := range t.resources() {
		if kind, ok := identityTypes[r.Type]; ok {
			subject := kind + " " + r.ID
			if doc := r.Props["AssumeRolePolicyDocument"]; doc != nil {
				out = append(out, document(subject+" (trust)", r.ID, doc)...)
			}
			policies, _ := r.Props["Policies"].([]any)
			for _, p := range policies {
				out = append(out, document(subject, r.ID+"."+render(get(p, "PolicyName")), get(p, "PolicyDocument"))...)
			}
			arns, _ := r.Props["ManagedPolicyArns"].([]any)
			for _, a := range arns {
				attached = append(attached, Attachment{Subject: subject, Policy: render(a)})
			}
		}
		switch r.Type {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			for _, subject := range attachedTo(r.Props) {
				out = append(out, document(subject, r.ID, r.Props["PolicyDocument"])...)
			}
		}
		for _, rp := range resourcePolicies {
			if r.Type != rp.typ || r.Props[rp.doc] == nil {
				continue
			}
			target := r.ID
			if rp.target != "" {
				target = render(r.Props[rp.target])
			}
			out = append(out, document("policy of "+target, r.ID, r.Props[rp.doc])...)
		}
	}
	return out, attached
}

// attachedTo names the identities a policy resource applies to.
func attachedTo(props map[string]any) []string {
	var out []string
	for prop, kind := range map[string]string{"Roles": "role", "Users": "user", "Groups": "group"} {
		list, _ := props[prop].([]any)
		for _, v := range list {
			name := render(v)
			if ref, ok := get(v, "Ref").(string); ok {
				name = ref
			}
			out = append(out, kind+" "+name)
		}
	}
	slices.Sort(out)
	return out
}

// document splits a policy document into statements, one per statement of the document; a
// document given as a JSON string (ECR, Secrets Manager) is parsed first.
func document(subject, source string, doc any) []Statement {
	if text, ok := doc.(string); ok {
		var parsed any
		if json.Unmarshal([]byte(text), &parsed) == nil {
			doc = parsed
		}
	}
	list, ok := get(doc, "Statement").([]any)
	if !ok {
		if one, isMap := get(doc, "Statement").(map[string]any); isMap {
			list = []any{one}
		}
	}
	var out []Statement
	for _, st := range list {
		s := Statement{Subject: subject, Source: source, Effect: render(get(st, "Effect"))}
		s.Actions = strs(get(st, "Action"))
		if na := strs(get(st, "NotAction")); len(na) > 0 {
			s.Actions = append(s.Actions, prefixAll("NOT ", na)...)
		}
		s.Resources = strs(get(st, "Resource"))
		if nr := strs(get(st, "NotResource")); len(nr) > 0 {
			s.Resources = append(s.Resources, prefixAll("NOT ", nr)...)
		}
		s.Principal = principal(get(st, "Principal"))
		if np := get(st, "NotPrincipal"); np != nil {
			s.Principal = "NOT " + principal(np)
		}
		if c := get(st, "Condition"); c != nil {
			b, _ := json.Marshal(resolve(c))
			s.Condition = string(b)
		}
		out = append(out, s)
	}
	return out
}

// principal renders a statement's principal as "AWS:arn, Service:name" in a stable order.
func principal(p any) string {
	if p == nil {
		return ""
	}
	if s, ok := p.(string); ok {
		return s // "*"
	}
	m, _ := p.(map[string]any)
	var parts []string
	for kind, v := range m {
		for _, s := range strs(v) {
			parts = append(parts, kind+":"+s)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// covered reports whether every (action, resource) pair of s is in some statement of in with
// the same subject and effect, a principal that includes s's, and no condition s lacks. An
// added Allow is checked against base's statements (covered: it gives nothing new); a removed
// Deny against head's (covered: head still denies as much).
func covered(s Statement, in []Statement) bool {
	actions, resources := orAny(s.Actions), orAny(s.Resources) // a trust policy names no resource
	for _, a := range actions {
		for _, r := range resources {
			if !slices.ContainsFunc(in, func(b Statement) bool { return grants(b, s, a, r) }) {
				return false
			}
		}
	}
	return true
}

// grants reports whether b gives (action, resource) to s's subject and principal with no
// condition that s lacks.
func grants(b, s Statement, action, resource string) bool {
	if b.Subject != s.Subject || b.Effect != s.Effect || !principalCovers(b.Principal, s.Principal) || !conditionCovers(b.Condition, s.Condition) {
		return false
	}
	return slices.ContainsFunc(orAny(b.Actions), func(p string) bool { return wildcard(strings.ToLower(p), strings.ToLower(action)) }) &&
		slices.ContainsFunc(orAny(b.Resources), func(p string) bool { return wildcard(p, resource) })
}

// wildcard matches IAM's * and ? in pattern against s; "NOT" entries match only themselves.
func wildcard(pattern, s string) bool {
	if pattern == s {
		return true
	}
	if strings.HasPrefix(pattern, "NOT ") || strings.HasPrefix(s, "NOT ") {
		return false
	}
	// path.Match treats / as a separator that * does not cross; IAM's * does: match with the
	// slashes swapped for a character neither ARNs nor actions use.
	ok, err := path.Match(strings.ReplaceAll(escapeBrackets(pattern), "/", "\x00"), strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

func escapeBrackets(s string) string {
	return strings.NewReplacer(`[`, `\[`, `]`, `\]`, `\`, `\\`).Replace(s)
}

func principalCovers(base, head string) bool {
	if base == head || base == "*" || base == "AWS:*" {
		return true
	}
	have := strings.Split(base, ", ")
	for _, p := range strings.Split(head, ", ") {
		if !slices.Contains(have, p) {
			return false
		}
	}
	return head != "" && !strings.HasPrefix(base, "NOT ") && !strings.HasPrefix(head, "NOT ")
}

// conditionCovers: base's condition is absent, the same, or each of its operator-key pairs is
// in head's with the same values (head only adds conditions, so it grants less).
func conditionCovers(base, head string) bool {
	if base == "" || base == head {
		return true
	}
	var b, h map[string]map[string]any
	if json.Unmarshal([]byte(base), &b) != nil || json.Unmarshal([]byte(head), &h) != nil {
		return false
	}
	for op, keys := range b {
		for k, v := range keys {
			hv, ok := h[op][k]
			if !ok || fmt.Sprint(hv) != fmt.Sprint(v) {
				return false
			}
		}
	}
	return true
}

func prefixAll(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// orAny stands for an absent list (a trust policy's resources) by one empty entry, so that
// coverage is still checked pair by pair.
func orAny(list []string) []string {
	if len(list) == 0 {
		return []string{""}
	}
	return list
}
