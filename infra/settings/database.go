package settings

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Database kinds: Aurora PostgreSQL with Serverless v2 capacity, or one RDS for PostgreSQL
// instance on gp3 storage.
const (
	AuroraServerlessV2 = "aurora-serverless-v2"
	Instance           = "instance"
)

// PostgresVersions are the PostgreSQL versions keel deploys: those aws-cdk-go v2.270.0 lists
// for both Aurora PostgreSQL (AuroraPostgresEngineVersion) and RDS for PostgreSQL
// (PostgresEngineVersion), so that a stage can switch kind without changing version. The
// major version is pinned by the setting; a major upgrade is a deliberate change of it
// (docs/database.md).
var PostgresVersions = []string{
	"16.1", "16.2", "16.3", "16.4", "16.5", "16.6", "16.8", "16.9", "16.10", "16.11", "16.13",
	"17.1", "17.2", "17.4", "17.5", "17.6", "17.7", "17.9",
}

// Database is a stage's managed PostgreSQL. Nil (no "database" key in the stage's context)
// means no database: the templates stay as they were without one. A "database" key starts
// from the stage's defaults (defaultDatabase); `"database": null` turns it off.
type Database struct {
	Kind          string `json:"kind"`
	EngineVersion string `json:"engineVersion"`
	// MinACU and MaxACU bound Aurora Serverless v2 capacity (kind aurora-serverless-v2).
	MinACU float64 `json:"minAcu"`
	MaxACU float64 `json:"maxAcu"`
	// InstanceClass and StorageGiB size the instance (kind instance); storage is gp3.
	InstanceClass string `json:"instanceClass"`
	StorageGiB    int    `json:"storageGiB"`
	// MultiAZ keeps a standby (instance) or a reader (Aurora) in a second zone.
	MultiAZ bool `json:"multiAz"`
	// BackupRetentionDays keeps automated backups; with them RDS offers point-in-time
	// recovery to any second of the window (it is implicit: there is no separate switch).
	BackupRetentionDays int  `json:"backupRetentionDays"`
	DeletionProtection  bool `json:"deletionProtection"`
	// SnapshotOnRemoval takes a final snapshot when CloudFormation deletes or replaces the
	// database; false deletes it with its automated backups.
	SnapshotOnRemoval bool `json:"snapshotOnRemoval"`
	// Name is the database the service uses; User is the role it logs in as with IAM
	// database authentication (make db-setup creates it).
	Name string `json:"name"`
	User string `json:"user"`
	// PoolMax is the service's connection pool size per task (DB_POOL_MAX).
	PoolMax int `json:"poolMax"`
	// SubnetIDs are the isolated subnets of an imported VPC (network.vpcId), one per zone.
	SubnetIDs []string `json:"subnetIds"`
}

// defaultDatabase: dev is the smallest single-AZ instance, kept a day; staging and prod are
// Aurora Serverless v2, protected and snapshotted on removal, prod Multi-AZ with the longest
// backup window RDS allows. Both kinds' sizes are filled, so that switching kind needs no
// other setting.
func defaultDatabase(stage string) *Database {
	d := &Database{
		Kind: AuroraServerlessV2, EngineVersion: "16.9",
		MinACU: 0.5, MaxACU: 4, InstanceClass: "db.t4g.micro", StorageGiB: 20,
		BackupRetentionDays: 7, DeletionProtection: true, SnapshotOnRemoval: true,
		Name: "keel", User: "keel_app", PoolMax: 10,
	}
	switch stage {
	case "dev":
		d.Kind, d.BackupRetentionDays, d.DeletionProtection, d.SnapshotOnRemoval, d.PoolMax = Instance, 1, false, false, 5
	case "prod":
		d.MultiAZ, d.MinACU, d.MaxACU, d.BackupRetentionDays, d.PoolMax = true, 1, 16, 35, 20
	}
	return d
}

// overlayDatabase decodes the "database" key of a stage's overrides over the stage's
// defaults; without the key the stage has no database.
func (s *Stage) overlayDatabase(js []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(js, &keys); err != nil {
		return err
	}
	raw, ok := keys["database"]
	if !ok {
		s.Database = nil
		return nil
	}
	s.Database = defaultDatabase(s.Name)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(&s.Database)
}

var (
	instanceClassRE = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	// PostgreSQL identifiers keel creates unquoted: lowercase, at most 63 bytes.
	identifierRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// reservedUsers are roles RDS or PostgreSQL own, and the master user keel creates.
var reservedUsers = []string{"rdsadmin", "rds_superuser", "rds_iam", "postgres", MasterUser}

// MasterUser is the RDS master user (not "postgres", CT.RDS.PR.21/22); its password is
// RDS-managed in Secrets Manager and reaches only the dbsetup task.
const MasterUser = "keeladmin"

func (s Stage) validateDatabase(p *problems) {
	d := s.Database
	if d == nil {
		return
	}
	if !slices.Contains([]string{AuroraServerlessV2, Instance}, d.Kind) {
		p.add("database.kind", quote(d.Kind), "use %q (min/max ACU) or %q (instance class, gp3 storage)", AuroraServerlessV2, Instance)
	}
	if !slices.Contains(PostgresVersions, d.EngineVersion) {
		p.add("database.engineVersion", quote(d.EngineVersion), "use a PostgreSQL version both Aurora and RDS offer: %s", strings.Join(PostgresVersions, ", "))
	}
	switch d.Kind {
	case AuroraServerlessV2:
		s.validateACU(p)
	case Instance:
		if !instanceClassRE.MatchString(d.InstanceClass) {
			p.add("database.instanceClass", quote(d.InstanceClass), "use an RDS instance class such as db.t4g.micro or db.m7g.large")
		}
		if d.StorageGiB < 20 || d.StorageGiB > 65536 {
			p.add("database.storageGiB", d.StorageGiB, "gp3 storage for PostgreSQL is 20 to 65536 GiB")
		}
	}
	if d.BackupRetentionDays < 1 || d.BackupRetentionDays > 35 {
		p.add("database.backupRetentionDays", d.BackupRetentionDays, "RDS keeps automated backups 1 to 35 days (0 would turn off backups and point-in-time recovery)")
	}
	for _, nv := range []named[string]{{"database.name", d.Name}, {"database.user", d.User}} {
		if !identifierRE.MatchString(nv.value) {
			p.add(nv.name, quote(nv.value), "use a lowercase PostgreSQL identifier: a letter, then letters, digits or _ (at most 63)")
		}
	}
	if slices.Contains(reservedUsers, d.User) {
		p.add("database.user", quote(d.User), "is reserved by RDS or keel (%v); name the service's own role, such as keel_app", reservedUsers)
	}
	if d.PoolMax < 1 || d.PoolMax > 1000 {
		p.add("database.poolMax", d.PoolMax, "use 1 to 1000 connections per task")
	}
	s.validateDatabaseSubnets(p)
	s.validateDatabaseCompliance(p)
}

// validateACU: Aurora Serverless v2 scales in steps of 0.5 ACU from 0.5 to 256 (Aurora User
// Guide, "Aurora Serverless v2 capacity").
func (s Stage) validateACU(p *problems) {
	d := s.Database
	for _, nv := range []named[float64]{{"database.minAcu", d.MinACU}, {"database.maxAcu", d.MaxACU}} {
		if nv.value < 0.5 || nv.value > 256 || math.Mod(nv.value*2, 1) != 0 {
			p.add(nv.name, nv.value, "Aurora Serverless v2 capacity is 0.5 to 256 ACU in steps of 0.5")
		}
	}
	if d.MaxACU < d.MinACU {
		p.add("database.maxAcu", d.MaxACU, "must be at least database.minAcu (%v)", d.MinACU)
	}
}

func (s Stage) validateDatabaseSubnets(p *problems) {
	ids := s.Database.SubnetIDs
	if s.Network.VpcID == "" {
		if len(ids) > 0 {
			p.add("database.subnetIds", ids, "subnet IDs only apply to an imported VPC (network.vpcId); remove them, keel creates isolated subnets")
		}
		return
	}
	if len(ids) != len(s.AvailabilityZones) {
		p.add("database.subnetIds", ids, "list one isolated subnet (no route out) of network.vpcId per availability zone (%d), in the order of availabilityZones", len(s.AvailabilityZones))
	}
	for _, id := range ids {
		if !subnetRE.MatchString(id) {
			p.add("database.subnetIds", ids, "%q is not a subnet ID (subnet-0123456789abcdef0)", id)
		}
	}
}

// validateDatabaseCompliance: what the control-tower profile asks of a database beyond what
// the construct always does (CT.RDS.PR.1, .3/.13 and .8).
func (s Stage) validateDatabaseCompliance(p *problems) {
	d := s.Database
	if !s.ControlTower() {
		return
	}
	fix := `, or set compliance.profile "none"`
	if !d.DeletionProtection {
		p.add("database.deletionProtection", false, "the %s compliance profile requires deletion protection (CT.RDS.PR.3, CT.RDS.PR.13); set it true%s", ProfileControlTower, fix)
	}
	if !d.MultiAZ {
		p.add("database.multiAz", false, "the %s compliance profile requires a second availability zone (CT.RDS.PR.1); set it true%s", ProfileControlTower, fix)
	}
	if d.BackupRetentionDays < 7 && d.BackupRetentionDays >= 1 {
		p.add("database.backupRetentionDays", d.BackupRetentionDays, "the %s compliance profile keeps backups at least 7 days (CT.RDS.PR.8); raise it%s", ProfileControlTower, fix)
	}
}
