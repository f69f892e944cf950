package cost

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// Prices of us-east-1 in prices.json, by hand.
const (
	acuHour      = 0.12
	auroraGB     = 0.10
	auroraIO     = 0.20 // per million requests
	auroraBackup = 0.021
	microHour    = 0.016
	gp3GB        = 0.115
	rdsBackup    = 0.095
)

const aurora = `{"Resources": {
  "Cl": {"Type": "AWS::RDS::DBCluster", "Properties": {"ManageMasterUserPassword": true, "BackupRetentionPeriod": 35,
    "ServerlessV2ScalingConfiguration": {"MinCapacity": 1, "MaxCapacity": 16}}},
  "W": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Cl"}, "DBInstanceClass": "db.serverless"}},
  "R": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Cl"}, "DBInstanceClass": "db.serverless"}},
  "P": {"Type": "AWS::RDS::DBClusterParameterGroup"}, "S": {"Type": "AWS::RDS::DBSubnetGroup"}
}}`

func instance(multiAZ string, days int) string {
	return fmt.Sprintf(`{"Resources": {"I": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20",
    "StorageType": "gp3", "MultiAZ": %s, "ManageMasterUserPassword": true, "BackupRetentionPeriod": %d}},
  "P": {"Type": "AWS::RDS::DBParameterGroup"}}}`, multiAZ, days)
}

func TestAuroraLines(t *testing.T) {
	u := testUsage
	u.DatabaseGB, u.DatabaseChangePerDay, u.DatabaseIOPerSecond = 50, 0.05, 200
	e := estimateWith(t, u, service, aurora)
	if len(e.Unpriced) != 0 {
		t.Fatalf("unpriced %v", e.Unpriced)
	}
	for item, want := range map[string]float64{
		"Aurora Serverless v2 capacity": 2 * 1 * 730 * acuHour, // writer and reader at MinCapacity
		"Aurora storage":                50 * auroraGB,
		"Aurora I/O requests":           200 * 3600 * 730 / 1e6 * auroraIO,
		"Aurora backup storage":         50 * 0.05 * 35 * auroraBackup, // the first 50 GB (the cluster's size) are free
		"RDS-managed master secret":     0.40,
	} {
		if l := line(t, e, item); !nearly(l.MinUSD, want) || !nearly(l.MaxUSD, want) {
			t.Errorf("%s = %g–%g USD, want %g", item, l.MinUSD, l.MaxUSD, want)
		}
	}
	u.DatabaseACU = 3
	if l := line(t, estimateWith(t, u, service, aurora), "Aurora Serverless v2 capacity"); !nearly(l.MinUSD, 2*3*730*acuHour) {
		t.Errorf("with databaseACU 3: %g USD, want %g", l.MinUSD, 2*3*730*acuHour)
	}
}

func TestInstanceLines(t *testing.T) {
	u := testUsage
	u.DatabaseGB, u.DatabaseChangePerDay = 18, 0.5
	single := estimateWith(t, u, service, instance("false", 7))
	multi := estimateWith(t, u, service, instance("true", 7))
	for item, want := range map[string]float64{
		"RDS instance hours (db.t4g.micro)": 730 * microHour,
		"RDS storage":                       20 * gp3GB,
		"RDS backup storage":                (18 + 18*0.5*7 - 20) * rdsBackup, // beyond the 20 GB allocated
	} {
		if l := line(t, single, item); !nearly(l.MinUSD, want) {
			t.Errorf("single-AZ %s = %g USD, want %g", item, l.MinUSD, want)
		}
	}
	if a, b := line(t, single, "RDS instance hours (db.t4g.micro)"), line(t, multi, "RDS instance hours (db.t4g.micro)"); !nearly(b.MinUSD, 2*a.MinUSD) {
		t.Errorf("Multi-AZ instance hours %g, want twice single-AZ %g", b.MinUSD, a.MinUSD)
	}
	u.DatabaseChangePerDay = 0
	for _, l := range estimateWith(t, u, service, instance("false", 7)).Lines {
		if l.Item == "RDS backup storage" {
			t.Errorf("backups within the free allowance are billed: %+v", l)
		}
	}
}

// TestUnknownInstanceClass: a class without a price is reported, not priced at zero.
func TestUnknownInstanceClass(t *testing.T) {
	tp := strings.Replace(instance("false", 7), "db.t4g.micro", "db.x9.huge", 1)
	e := estimate(t, service, tp)
	if got := strings.Join(e.Unpriced, ","); !strings.Contains(got, "rds.postgres.db.x9.huge") {
		t.Errorf("unpriced = %q, want the missing class price named", got)
	}
}

func nearly(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }
