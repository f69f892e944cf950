package cost

import (
	"fmt"
	"math"
)

// rdsTypes are the database's resource types; the lines below price the cluster and the
// instances, the rest are free.
var rdsTypes = map[string]string{
	"AWS::RDS::DBCluster":               "Aurora storage, I/O and backup lines",
	"AWS::RDS::DBInstance":              "Aurora ACU or instance-hour lines",
	"AWS::RDS::DBSubnetGroup":           "free",
	"AWS::RDS::DBParameterGroup":        "free",
	"AWS::RDS::DBClusterParameterGroup": "free",
}

// database prices a stage's RDS resources (Amazon RDS and Aurora pricing pages):
//   - Aurora Serverless v2: every instance of the cluster (writer and readers) bills ACU-hours;
//     the model takes the cluster's MinCapacity unless usage names an average (databaseACU);
//     storage is the data size (databaseGB) and Aurora Standard bills I/O requests.
//   - an RDS instance bills its class by the hour and its allocated gp3 storage; Multi-AZ runs a
//     standby of the same class and storage, so both double.
//   - backup storage is free up to the database's size (the cluster volume, or the
//     instance's allocated storage); beyond it each GB-month is billed. The backup holds a full
//     copy plus each day's changes for the retention period (databaseChangePerDay).
//   - each RDS-managed master secret is a Secrets Manager secret.
func (m model) database() []item {
	var out []item
	instances := m.stage.resources("AWS::RDS::DBInstance")
	for _, cl := range m.stage.resources("AWS::RDS::DBCluster") {
		out = append(out, m.aurora(cl, membersOf(cl.ID, instances))...)
	}
	for _, inst := range instances {
		if get(inst.Props, "DBClusterIdentifier") == nil {
			out = append(out, m.instance(inst)...)
		}
	}
	return out
}

func membersOf(clusterID string, instances []resource) int {
	n := 0
	for _, inst := range instances {
		if ref, _ := get(inst.Props, "DBClusterIdentifier", "Ref").(string); ref == clusterID {
			n++
		}
	}
	return n
}

func (m model) aurora(cl resource, members int) []item {
	acu, basis := m.usage.DatabaseACU, "usage: databaseACU"
	if lo, ok := number(get(cl.Props, "ServerlessV2ScalingConfiguration", "MinCapacity")); ok && acu == 0 {
		acu, basis = lo, "the cluster's MinCapacity"
	}
	hi, _ := number(get(cl.Props, "ServerlessV2ScalingConfiguration", "MaxCapacity"))
	size := m.usage.DatabaseGB
	io := m.usage.DatabaseIOPerSecond * 3600 * m.hours / 1e6
	return []item{
		both("Aurora Serverless v2 capacity", "rds.aurora.acu", float64(members)*acu*m.hours,
			fmt.Sprintf("%d instance(s) × %g ACU (%s; up to MaxCapacity %g) × hours", members, acu, basis, hi)),
		both("Aurora storage", "rds.aurora.storage", size, "usage: databaseGB"),
		both("Aurora I/O requests", "rds.aurora.io", io, "usage: databaseIOPerSecond, in millions a month"),
		both("Aurora backup storage", "rds.aurora.backup", m.billableBackup(cl, size, size), "beyond the free allowance (the cluster's size): a day's changes × retention"),
		m.managedSecret(cl),
	}
}

func (m model) instance(inst resource) []item {
	class, _ := inst.Props["DBInstanceClass"].(string)
	copies, basis := 1.0, "single-AZ"
	if inst.Props["MultiAZ"] == true {
		copies, basis = 2, "Multi-AZ: a standby of the same class and storage"
	}
	allocated, _ := number(inst.Props["AllocatedStorage"])
	storage := "rds.postgres.gp3"
	if t, _ := inst.Props["StorageType"].(string); t != "gp3" {
		storage = "rds.postgres.storage." + t // not in the table: priced at 0 and named
	}
	return []item{
		both("RDS instance hours ("+class+")", "rds.postgres."+class, copies*m.hours, basis),
		both("RDS storage", storage, copies*allocated, basis+"; AllocatedStorage GB"),
		both("RDS backup storage", "rds.postgres.backup", m.billableBackup(inst, m.usage.DatabaseGB, allocated), "beyond the free allowance (the allocated storage): a full copy plus a day's changes × retention"),
		m.managedSecret(inst),
	}
}

// billableBackup is the backup storage beyond the free allowance, in GB-months.
func (m model) billableBackup(r resource, data, free float64) float64 {
	days, _ := number(r.Props["BackupRetentionPeriod"])
	return math.Max(0, data+data*m.usage.DatabaseChangePerDay*days-free)
}

func (m model) managedSecret(r resource) item {
	n := 0.0
	if r.Props["ManageMasterUserPassword"] == true {
		n = 1
	}
	return both("RDS-managed master secret", "secretsmanager.secret", n, "ManageMasterUserPassword")
}
