package settings

import (
	"reflect"
	"strings"
	"testing"
)

func TestDatabaseOverlay(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want *Database
	}{
		{"absent: no database", `{"protect": true}`, nil},
		{"null: no database", `{"database": null}`, nil},
		{"empty: the stage's defaults", `{"database": {}}`, defaultDatabase("staging")},
		{"a field over the defaults", `{"database": {"kind": "instance", "storageGiB": 50}}`, func() *Database {
			d := defaultDatabase("staging")
			d.Kind, d.StorageGiB = Instance, 50
			return d
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := Defaults("staging")
			if err := s.overlay(tt.raw); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Database, tt.want) {
				t.Errorf("database = %+v, want %+v", s.Database, tt.want)
			}
		})
	}
	s, _ := Defaults("prod")
	if err := s.overlay(`{"database": {"minCapacity": 1}}`); err == nil || !strings.Contains(err.Error(), `unknown field "minCapacity"`) {
		t.Errorf("a misspelt database setting gave %v", err)
	}
}

// TestDatabaseValidation: each bad database setting is one line naming the setting, the
// value and the fix; the defaults of every stage pass.
func TestDatabaseValidation(t *testing.T) {
	for _, name := range Names {
		s, _ := Defaults(name)
		s.Database = defaultDatabase(name)
		if err := s.Validate(); err != nil {
			t.Errorf("%s defaults: %v", name, err)
		}
	}
	tests := []struct {
		name   string
		stage  string
		change func(*Stage)
		want   []string
	}{
		{"kind", "dev", func(s *Stage) { s.Database.Kind = "serverless" }, []string{`keel:dev.database.kind = "serverless"`, `"aurora-serverless-v2"`, `"instance"`}},
		{"version", "dev", func(s *Stage) { s.Database.EngineVersion = "16" }, []string{`keel:dev.database.engineVersion = "16"`, "16.9"}},
		{"ACU step", "staging", func(s *Stage) { s.Database.MaxACU = 2.3 }, []string{"keel:staging.database.maxAcu = 2.3", "steps of 0.5"}},
		{"ACU order", "staging", func(s *Stage) { s.Database.MinACU, s.Database.MaxACU = 4, 2 }, []string{"keel:staging.database.maxAcu = 2", "at least database.minAcu (4)"}},
		{"class", "dev", func(s *Stage) { s.Database.InstanceClass = "t4g.micro" }, []string{`keel:dev.database.instanceClass = "t4g.micro"`, "db.t4g.micro"}},
		{"storage", "dev", func(s *Stage) { s.Database.StorageGiB = 10 }, []string{"keel:dev.database.storageGiB = 10", "20 to 65536"}},
		{"backups off", "dev", func(s *Stage) { s.Database.BackupRetentionDays = 0 }, []string{"keel:dev.database.backupRetentionDays = 0", "1 to 35", "point-in-time"}},
		{"user", "dev", func(s *Stage) { s.Database.User = "App-User" }, []string{`keel:dev.database.user = "App-User"`, "lowercase"}},
		{"reserved user", "dev", func(s *Stage) { s.Database.User = "rdsadmin" }, []string{`keel:dev.database.user = "rdsadmin"`, "reserved"}},
		{"pool", "dev", func(s *Stage) { s.Database.PoolMax = 0 }, []string{"keel:dev.database.poolMax = 0", "1 to 1000"}},
		{"subnets of a new VPC", "dev", func(s *Stage) { s.Database.SubnetIDs = []string{"subnet-0000000000000000e"} }, []string{"keel:dev.database.subnetIds", "imported VPC"}},
		{"imported VPC without isolated subnets", "staging", func(s *Stage) {
			s.Network = Network{VpcID: "vpc-0123456789abcdef0", PublicSubnetIDs: []string{"subnet-0000000000000000a", "subnet-0000000000000000b"}, PrivateSubnetIDs: []string{"subnet-0000000000000000c", "subnet-0000000000000000d"}}
		}, []string{"keel:staging.database.subnetIds = []", "one isolated subnet"}},
		{"control tower without protection", "prod", func(s *Stage) { s.Database.DeletionProtection = false }, []string{"keel:prod.database.deletionProtection = false", "CT.RDS.PR.3"}},
		{"control tower single-AZ", "prod", func(s *Stage) { s.Database.MultiAZ = false }, []string{"keel:prod.database.multiAz = false", "CT.RDS.PR.1"}},
		{"control tower short backups", "prod", func(s *Stage) { s.Database.BackupRetentionDays = 3 }, []string{"keel:prod.database.backupRetentionDays = 3", "CT.RDS.PR.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := Defaults(tt.stage)
			s.Database = defaultDatabase(tt.stage)
			tt.change(&s)
			err := s.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d lines:\n%v", n, err)
			}
		})
	}
}
