package infra

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
)

// outsideDatabase drops the database construct's resources (logical IDs Database...), which
// the tests below check, from a resource list about the service.
func outsideDatabase(rs map[string]map[string]any) map[string]map[string]any {
	maps.DeleteFunc(rs, func(id string, _ map[string]any) bool { return strings.HasPrefix(id, "Database") })
	return rs
}

// withoutDatabaseConnect drops the task role's rds-db:connect statement (checked below).
func withoutDatabaseConnect(statements []any) []any {
	out := slices.DeleteFunc(slices.Clone(statements), func(st any) bool { return get(st, "Action") == "rds-db:connect" })
	if len(out) == 0 {
		return nil
	}
	return out
}

// noDatabaseApp is the app with every stage's context as it was before databases: no
// "database" key.
var noDatabaseApp = sync.OnceValues(func() (*synthesized, error) {
	return synth(map[string]any{"keel:dev": map[string]any{}, "keel:staging": map[string]any{}, "keel:prod": map[string]any{}})
})

// TestNoDatabaseKeepsTemplates: a stage without "database" synthesizes exactly the template
// it had before databases existed (the *-nodatabase goldens were the goldens then).
func TestNoDatabaseKeepsTemplates(t *testing.T) {
	a := synthesizedOnce(t, noDatabaseApp)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			if a.built[name].Settings.Database != nil {
				t.Fatal("a stage without a database key has a database")
			}
			got := normalize(a.templates[name])
			want := testenv.WriteOrCompare(t, filepath.Join("testdata", name+"-nodatabase.golden.json"), got)
			if !bytes.Equal(got, want) {
				t.Errorf("%s without a database differs from its template before databases", name)
			}
		})
	}
}

// TestDatabase checks every stage's database against its settings.
func TestDatabase(t *testing.T) {
	for _, a := range []*synthesized{app(t), variant(t)} {
		for _, name := range settings.Names {
			s := a.built[name].Settings
			t.Run(name, func(t *testing.T) {
				if s.Database == nil {
					t.Fatal("cdk.json turns the database on in every stage")
				}
				for _, p := range databaseProblems(s, a.templates[name]) {
					t.Error(p)
				}
			})
		}
	}
}

// TestDatabaseProblemsFailOnBadTemplates: each check fails on the template it guards against.
func TestDatabaseProblemsFailOnBadTemplates(t *testing.T) {
	a := app(t)
	tests := []struct {
		name, stage string
		breakIt     func(tp template)
		want        string
	}{
		{"route out of an isolated subnet", "dev", func(tp template) {
			rs := tp["Resources"].(map[string]any)
			for id := range tp.resources("AWS::EC2::RouteTable") {
				if strings.HasPrefix(id, "NetworkVpcisolated") {
					rs["Bad"] = map[string]any{"Type": "AWS::EC2::Route", "Properties": map[string]any{"RouteTableId": map[string]any{"Ref": id}, "DestinationCidrBlock": "0.0.0.0/0"}}
					return
				}
			}
		}, "has a route out"},
		{"database open to a CIDR", "staging", func(tp template) {
			for _, r := range tp.resources("AWS::EC2::SecurityGroupIngress") {
				if strings.Contains(jsonOf(r), "DatabaseSecurityGroup") {
					p := r["Properties"].(map[string]any)
					delete(p, "SourceSecurityGroupId")
					p["CidrIp"] = "0.0.0.0/0"
				}
			}
		}, "admits"},
		{"IAM authentication off", "prod", func(tp template) {
			for _, r := range tp.resources("AWS::RDS::DBCluster") {
				r["Properties"].(map[string]any)["EnableIAMDatabaseAuthentication"] = false
			}
		}, "EnableIAMDatabaseAuthentication"},
		{"AWS-managed encryption", "dev", func(tp template) {
			for _, r := range tp.resources("AWS::RDS::DBInstance") {
				delete(r["Properties"].(map[string]any), "KmsKeyId")
			}
		}, "KmsKeyId"},
		{"TLS optional", "staging", func(tp template) {
			for _, r := range tp.resources("AWS::RDS::DBClusterParameterGroup") {
				r["Properties"].(map[string]any)["Parameters"] = map[string]any{"rds.force_ssl": "0"}
			}
		}, "rds.force_ssl"},
		{"prod unprotected", "prod", func(tp template) {
			for _, r := range tp.resources("AWS::RDS::DBCluster") {
				r["Properties"].(map[string]any)["DeletionProtection"] = false
				r["DeletionPolicy"] = "Delete"
			}
		}, "DeletionProtection"},
		{"master secret in the service", "dev", func(tp template) {
			for id, r := range tp.resources("AWS::ECS::TaskDefinition") {
				if strings.HasPrefix(id, "AppTask") {
					c := get(r, "Properties", "ContainerDefinitions", 0).(map[string]any)
					c["Secrets"] = append(c["Secrets"].([]any), map[string]any{"Name": "DB_PASSWORD", "ValueFrom": map[string]any{"Fn::GetAtt": []any{"DatabaseInstance02E622FB", "MasterUserSecret.SecretArn"}}})
				}
			}
		}, "master secret"},
		{"a second database user", "dev", func(tp template) {
			for id, r := range tp.resources("AWS::IAM::Policy") {
				if strings.HasPrefix(id, "AppTaskTaskRoleDefaultPolicy") {
					p := get(r, "Properties", "PolicyDocument").(map[string]any)
					p["Statement"] = append(p["Statement"].([]any), map[string]any{"Action": "rds-db:connect", "Effect": "Allow", "Resource": "*"})
				}
			}
		}, "rds-db:connect"},
		{"service starts before the database", "prod", func(tp template) {
			for _, svc := range tp.resources("AWS::ECS::Service") {
				svc["DependsOn"] = slices.DeleteFunc(anySlice(svc["DependsOn"]), func(d any) bool { return strings.HasPrefix(d.(string), "DatabaseInstance2") })
			}
		}, "does not wait for DatabaseInstance2"},
		{"a Lambda-backed custom resource", "dev", func(tp template) {
			tp["Resources"].(map[string]any)["Setup"] = map[string]any{"Type": "Custom::DatabaseUser"}
		}, "custom resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tp template
			b, _ := json.Marshal(a.templates[tt.stage])
			_ = json.Unmarshal(b, &tp)
			if p := databaseProblems(a.built[tt.stage].Settings, tp); len(p) != 0 {
				t.Fatalf("the unbroken template has problems: %v", p)
			}
			tt.breakIt(tp)
			got := strings.Join(databaseProblems(a.built[tt.stage].Settings, tp), "\n")
			if !strings.Contains(got, tt.want) {
				t.Errorf("problems %q do not mention %q", got, tt.want)
			}
		})
	}
}
