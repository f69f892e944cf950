package review

import (
	"encoding/json"
	"strings"
	"testing"
)

// stackOf is a service stack like keel's: an execution role with its default policy, a load
// balancer with its security group and listeners, and a bucket policy.
func stackOf(t *testing.T, mutate func(r map[string]any)) template {
	t.Helper()
	const base = `{"Resources": {
	  "ExecRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}}},
	  "ExecPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "ExecRole"}], "PolicyDocument": {"Statement": [
	    {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
	    {"Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/*"}]}}},
	  "LB": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internet-facing"}},
	  "LBGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
	    {"CidrIp": "0.0.0.0/0", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}]}},
	  "Https": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "LB"}, "Port": 443, "Protocol": "HTTPS"}},
	  "Logs": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "LogBucket"}, "PolicyDocument": {"Statement": [
	    {"Action": "s3:PutObject", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::156460612806:root"}, "Resource": "arn:aws:s3:::logs/AWSLogs/*"},
	    {"Action": "s3:*", "Effect": "Deny", "Principal": {"AWS": "*"}, "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}}
	}}`
	var tmpl template
	if err := json.Unmarshal([]byte(base), &tmpl); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(tmpl["Resources"].(map[string]any))
	}
	return tmpl
}

func statementsOf(r map[string]any, id string) []any {
	return get(r[id], "Properties", "PolicyDocument", "Statement").([]any)
}

func setStatements(r map[string]any, id string, list []any) {
	r[id].(map[string]any)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"] = list
}

func parse(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSecurityVerdicts: each broadening blocks; narrowing, regrouping and new Denies pass.
func TestSecurityVerdicts(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(t *testing.T, r map[string]any)
		broad  int
		want   string
	}{
		{"no change", func(*testing.T, map[string]any) {}, 0, ""},
		{"GetSecretValue on * in the execution role", func(t *testing.T, r map[string]any) {
			setStatements(r, "ExecPolicy", append(statementsOf(r, "ExecPolicy"), parse(t, `{"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": "*"}`)))
		}, 1, "secretsmanager:GetSecretValue"},
		{"port 22 open to the internet at the load balancer", func(t *testing.T, r map[string]any) {
			g := get(r["LBGroup"], "Properties").(map[string]any)
			g["SecurityGroupIngress"] = append(g["SecurityGroupIngress"].([]any), parse(t, `{"CidrIp": "0.0.0.0/0", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}`))
		}, 1, "open to the internet"},
		{"port 22 open by a separate ingress resource", func(t *testing.T, r map[string]any) {
			r["Ssh"] = parse(t, `{"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["LBGroup", "GroupId"]}, "CidrIpv6": "::/0", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}}`)
		}, 1, "open to the internet"},
		{"secrets narrowed to one secret", func(t *testing.T, r map[string]any) {
			list := statementsOf(r, "ExecPolicy")
			list[1] = parse(t, `{"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/vault-AbCdEf"}`)
			setStatements(r, "ExecPolicy", list)
		}, 0, "no wider"},
		{"the same grants regrouped into two statements", func(t *testing.T, r map[string]any) {
			list := statementsOf(r, "ExecPolicy")
			list[1] = parse(t, `{"Action": "secretsmanager:DescribeSecret", "Effect": "Allow", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/*"}`)
			setStatements(r, "ExecPolicy", append(list, parse(t, `{"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/*"}`)))
		}, 0, "no wider"},
		{"ingress narrowed to one network", func(t *testing.T, r map[string]any) {
			get(r["LBGroup"], "Properties").(map[string]any)["SecurityGroupIngress"] = []any{parse(t, `{"CidrIp": "10.0.0.0/16", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}`)}
		}, 0, "no wider"},
		{"the same actions for a second role", func(t *testing.T, r map[string]any) {
			p := get(r["ExecPolicy"], "Properties").(map[string]any)
			p["Roles"] = append(p["Roles"].([]any), parse(t, `{"Ref": "TaskRole"}`))
		}, 2, "role TaskRole"},
		{"the bucket's writer widened to anyone", func(t *testing.T, r map[string]any) {
			list := statementsOf(r, "Logs")
			delete(list[0].(map[string]any), "Principal")
			list[0].(map[string]any)["Principal"] = "*"
		}, 1, "policy of ${LogBucket}"},
		{"the bucket's Deny removed", func(t *testing.T, r map[string]any) {
			setStatements(r, "Logs", statementsOf(r, "Logs")[:1])
		}, 1, "a Deny is gone"},
		{"a new Deny", func(t *testing.T, r map[string]any) {
			setStatements(r, "ExecPolicy", append(statementsOf(r, "ExecPolicy"), parse(t, `{"Action": "*", "Effect": "Deny", "Resource": "*"}`)))
		}, 0, "a new Deny"},
		{"an AWS managed policy attached", func(t *testing.T, r map[string]any) {
			get(r["ExecRole"], "Properties").(map[string]any)["ManagedPolicyArns"] = []any{"arn:aws:iam::aws:policy/AdministratorAccess"}
		}, 1, "AdministratorAccess"},
		{"a trust policy widened", func(t *testing.T, r map[string]any) {
			get(r["ExecRole"], "Properties", "AssumeRolePolicyDocument").(map[string]any)["Statement"] = []any{parse(t, `{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": "*"}}`)}
		}, 1, "(trust)"},
		{"a new HTTP listener", func(t *testing.T, r map[string]any) {
			r["Http"] = parse(t, `{"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "LB"}, "Port": 8080, "Protocol": "HTTP"}}`)
		}, 1, "internet-facing"},
		{"a key policy opened to another account", func(t *testing.T, r map[string]any) {
			r["Key"] = parse(t, `{"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{"Action": "kms:Decrypt", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Resource": "*"}]}}}`)
		}, 1, "999999999999"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			head := stackOf(t, func(r map[string]any) { tt.mutate(t, r) })
			s := compareSecurity("dev/Service", stackOf(t, nil), head)
			var b strings.Builder
			writeSecurity(&b, "dev/Service", s)
			if got := s.Unacknowledged(); got != tt.broad {
				t.Errorf("%d unacknowledged broadenings, want %d:\n%s", got, tt.broad, b.String())
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("the section lacks %q:\n%s", tt.want, b.String())
			}
			if tt.name == "no change" && !s.Empty() {
				t.Errorf("no change, yet:\n%s", b.String())
			}
		})
	}
}

// TestAcknowledgements: the label lets every broadening through, an allowlist entry only its
// own, and the comment says which and why.
func TestAcknowledgements(t *testing.T) {
	head := stackOf(t, func(r map[string]any) {
		setStatements(r, "ExecPolicy", append(statementsOf(r, "ExecPolicy"), parse(t, `{"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": "*"}`)))
		r["Http"] = parse(t, `{"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "LB"}, "Port": 8080, "Protocol": "HTTP"}}`)
	})
	s := compareSecurity("dev/Service", stackOf(t, nil), head)
	id := s.Listeners[0].ID
	allowed := s
	allowed.Listeners = append([]Change[Listener](nil), s.Listeners...)
	allowed.Statements = append([]Change[Statement](nil), s.Statements...)
	Acknowledgements{Allowlist: map[string]string{id: "the admin port, behind the VPN"}}.apply(&allowed)
	if allowed.Unacknowledged() != 1 || allowed.Listeners[0].Ack != "allowlist: the admin port, behind the VPN" {
		t.Errorf("allowlist entry %s: %d unacknowledged, listener ack %q", id, allowed.Unacknowledged(), allowed.Listeners[0].Ack)
	}
	Acknowledgements{Label: true}.apply(&s)
	if s.Unacknowledged() != 0 {
		t.Errorf("the label leaves %d broadenings", s.Unacknowledged())
	}
	r := Report{Stages: []Stage{{Name: "dev", Stacks: []Stack{{Name: "dev/Service", Security: s}}}}}
	var b strings.Builder
	r.writeBanners(&b)
	if !strings.Contains(b.String(), "Security broadenings let through") || !strings.Contains(b.String(), "secretsmanager:GetSecretValue on *") {
		t.Errorf("the banner does not name what the label let through:\n%s", b.String())
	}
}

// TestCell: template text cannot leave its table cell or its code span.
func TestCell(t *testing.T) {
	for _, text := range []string{"a|b", "x\n| y", "``a``", "`"} {
		got := cell(text)
		if strings.Contains(got, "\n") || strings.Count(got, "|") != strings.Count(got, `\|`) {
			t.Errorf("cell(%q) = %q", text, got)
		}
	}
}
