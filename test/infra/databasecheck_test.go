package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keelstack/keel/infra/settings"
)

// databaseProblems lists what is wrong with the database of a stage's template.
func databaseProblems(s settings.Stage, tp template) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	db, dbID := databaseResource(s, tp)
	if db == nil {
		return []string{"no database resource"}
	}
	props := db["Properties"].(map[string]any)
	p = append(p, isolationProblems(s, tp, props)...)
	p = append(p, securityGroupProblems(tp)...)
	p = append(p, encryptionProblems(tp, props, dbID)...)
	p = append(p, protectionProblems(s, db)...)
	p = append(p, accessProblems(s, tp, dbID)...)
	p = append(p, sizeProblems(s, tp, props)...)
	p = append(p, logProblems(s, tp, props)...)
	if props["EnableIAMDatabaseAuthentication"] != true {
		add("%s: EnableIAMDatabaseAuthentication = %v, want true", dbID, props["EnableIAMDatabaseAuthentication"])
	}
	if props["ManageMasterUserPassword"] != true || props["MasterUserPassword"] != nil || props["MasterUsername"] != settings.MasterUser {
		add("%s: the master password is not RDS-managed (ManageMasterUserPassword %v, user %v)", dbID, props["ManageMasterUserPassword"], props["MasterUsername"])
	}
	for id, svc := range tp.resources("AWS::ECS::Service") {
		for inst := range tp.resources("AWS::RDS::DBInstance") {
			if !slices.Contains(anySlice(svc["DependsOn"]), any(inst)) {
				add("%s does not wait for %s: its first tasks would start before the database answers", id, inst)
			}
		}
	}
	for id, r := range tp["Resources"].(map[string]any) {
		if typ := fmt.Sprint(get(r, "Type")); strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource" || typ == "AWS::Lambda::Function" {
			add("%s: %s is a custom resource or function; the scoped bootstrap refuses them", id, typ)
		}
	}
	return p
}

// databaseResource is the DBCluster (Aurora) or the DBInstance that holds the data.
func databaseResource(s settings.Stage, tp template) (map[string]any, string) {
	typ := "AWS::RDS::DBInstance"
	if s.Database.Kind == settings.AuroraServerlessV2 {
		typ = "AWS::RDS::DBCluster"
	}
	for id, r := range tp.resources(typ) {
		if get(r, "Properties", "DBClusterIdentifier") == nil || typ == "AWS::RDS::DBCluster" {
			return r, id
		}
	}
	return nil, ""
}

// isolationProblems: the subnet group holds the isolated subnets, whose route tables have no
// route at all (only the VPC's local route, which is implicit); dev still has no NAT.
func isolationProblems(s settings.Stage, tp template, props map[string]any) []string {
	var p []string
	var groups []any
	for _, r := range tp.resources("AWS::RDS::DBSubnetGroup") {
		groups = append(groups, get(r, "Properties", "SubnetIds"))
	}
	if len(groups) != 1 {
		return []string{fmt.Sprintf("%d subnet groups, want 1", len(groups))}
	}
	subnets := jsonOf(groups[0])
	if s.Network.VpcID != "" {
		if want := jsonOf(s.Database.SubnetIDs); subnets != want {
			p = append(p, fmt.Sprintf("subnet group %s, want the imported isolated subnets %s", subnets, want))
		}
	} else if strings.Count(subnets, `"Ref":"NetworkVpcisolatedSubnet`) != len(s.AvailabilityZones) || strings.Count(subnets, "Ref") != len(s.AvailabilityZones) {
		p = append(p, fmt.Sprintf("subnet group %s, want one isolated subnet per zone", subnets))
	}
	for _, r := range tp.resources("AWS::EC2::Route") {
		if rt := jsonOf(get(r, "Properties", "RouteTableId")); strings.Contains(rt, "NetworkVpcisolated") {
			p = append(p, fmt.Sprintf("isolated route table %s has a route out: %s", rt, jsonOf(r["Properties"])))
		}
	}
	if s.Name == "dev" && len(tp.resources("AWS::EC2::NatGateway")) != 0 {
		p = append(p, "dev has a NAT gateway")
	}
	if props["PubliclyAccessible"] == true {
		p = append(p, "the database is publicly accessible")
	}
	return p
}

// securityGroupProblems: the database's group admits 5432 from the service's group, nothing
// else, and sends nothing.
func securityGroupProblems(tp template) []string {
	var p []string
	var rules []string
	for _, r := range tp.resources("AWS::EC2::SecurityGroupIngress") {
		if strings.Contains(jsonOf(get(r, "Properties", "GroupId")), "DatabaseSecurityGroup") {
			rules = append(rules, jsonOf(r["Properties"]))
		}
	}
	want := `"FromPort":5432,"GroupId":{"Fn::GetAtt":["DatabaseSecurityGroup5C91FDCB","GroupId"]},"IpProtocol":"tcp","SourceSecurityGroupId":{"Fn::GetAtt":["AppServiceSecurityGroupA4191BE9","GroupId"]},"ToPort":5432}`
	if len(rules) != 1 || !strings.HasSuffix(rules[0], want) {
		p = append(p, fmt.Sprintf("the database's security group admits %v, want 5432 from the service's group only", rules))
	}
	for id, g := range tp.resources("AWS::EC2::SecurityGroup") {
		if !strings.HasPrefix(id, "Database") {
			continue
		}
		if in := get(g, "Properties", "SecurityGroupIngress"); in != nil {
			p = append(p, fmt.Sprintf("the database's security group admits %s inline", jsonOf(in)))
		}
		if out := jsonOf(get(g, "Properties", "SecurityGroupEgress")); !strings.Contains(out, "255.255.255.255/32") || strings.Count(out, "CidrIp") != 1 {
			p = append(p, fmt.Sprintf("the database's security group sends %s, want nothing", out))
		}
	}
	return p
}

// encryptionProblems: storage and the master secret under the database's own rotating key.
func encryptionProblems(tp template, props map[string]any, dbID string) []string {
	var p []string
	var keyID string
	for id, k := range tp.resources("AWS::KMS::Key") {
		if strings.HasPrefix(id, "DatabaseKey") {
			keyID = id
			if get(k, "Properties", "EnableKeyRotation") != true {
				p = append(p, id+": key rotation off")
			}
		}
	}
	key := fmt.Sprintf(`{"Fn::GetAtt":["%s","Arn"]}`, keyID)
	if props["StorageEncrypted"] != true || jsonOf(props["KmsKeyId"]) != key {
		p = append(p, fmt.Sprintf("%s: StorageEncrypted %v with KmsKeyId %s, want the database's key %s", dbID, props["StorageEncrypted"], jsonOf(props["KmsKeyId"]), key))
	}
	if got := jsonOf(get(props, "MasterUserSecret", "KmsKeyId")); got != key {
		p = append(p, fmt.Sprintf("%s: master secret encrypted with %s, want %s", dbID, got, key))
	}
	return p
}

// protectionProblems: deletion protection, backups and the removal snapshot as settings say.
func protectionProblems(s settings.Stage, db map[string]any) []string {
	var p []string
	d := s.Database
	props := db["Properties"].(map[string]any)
	if props["DeletionProtection"] != d.DeletionProtection {
		p = append(p, fmt.Sprintf("DeletionProtection = %v, want %v", props["DeletionProtection"], d.DeletionProtection))
	}
	if props["BackupRetentionPeriod"] != float64(d.BackupRetentionDays) {
		p = append(p, fmt.Sprintf("BackupRetentionPeriod = %v, want %d", props["BackupRetentionPeriod"], d.BackupRetentionDays))
	}
	want := map[bool]string{true: "Snapshot", false: "Delete"}[d.SnapshotOnRemoval]
	if db["DeletionPolicy"] != want || db["UpdateReplacePolicy"] != want {
		p = append(p, fmt.Sprintf("DeletionPolicy %v UpdateReplacePolicy %v, want %s", db["DeletionPolicy"], db["UpdateReplacePolicy"], want))
	}
	if props["CopyTagsToSnapshot"] != true {
		p = append(p, "CopyTagsToSnapshot is off")
	}
	return p
}

// accessProblems: the service's environment names the database and IAM authentication, its
// task role may connect as exactly the one user, and only the dbsetup task gets the master
// secret.
func accessProblems(s settings.Stage, tp template, dbID string) []string {
	var p []string
	attr := map[string]string{settings.AuroraServerlessV2: "DBClusterResourceId", settings.Instance: "DbiResourceId"}[s.Database.Kind]
	endpoint := fmt.Sprintf(`{"Fn::GetAtt":["%s","Endpoint.Address"]}`, dbID)
	want := fmt.Sprintf(`{"DB_AUTH":"iam","DB_HOST":%s,"DB_NAME":"%s","DB_POOL_MAX":"%d","DB_PORT":"5432","DB_REGION":"%s","DB_USER":"%s"}`,
		endpoint, s.Database.Name, s.Database.PoolMax, s.Region, s.Database.User)
	var app, setup map[string]any
	for id, r := range tp.resources("AWS::ECS::TaskDefinition") {
		c := get(r, "Properties", "ContainerDefinitions", 0).(map[string]any)
		if strings.HasPrefix(id, "DatabaseSetupTask") {
			setup = c
		} else {
			app = c
		}
	}
	if got := jsonOf(envOf(app, "DB_")); got != want {
		p = append(p, fmt.Sprintf("service DB_ environment %s, want %s", got, want))
	}
	if strings.Contains(jsonOf(app), "MasterUserSecret") {
		p = append(p, "the service's task definition references the master secret")
	}
	connect := fmt.Sprintf(`[{"Action":"rds-db:connect","Effect":"Allow","Resource":{"Fn::Join":["",["arn:aws:rds-db:%s:%s:dbuser:",{"Fn::GetAtt":["%s","%s"]},"/%s"]]}}]`,
		s.Region, s.Account, dbID, attr, s.Database.User)
	var grants []any
	for id, r := range tp.resources("AWS::IAM::Policy") {
		for _, st := range anySlice(get(r, "Properties", "PolicyDocument", "Statement")) {
			if strings.Contains(jsonOf(get(st, "Action")), "rds-db:") {
				if !strings.HasPrefix(id, "AppTaskTaskRoleDefaultPolicy") {
					p = append(p, id+" grants rds-db actions")
				}
				grants = append(grants, st)
			}
		}
	}
	if got := jsonOf(grants); got != connect {
		p = append(p, fmt.Sprintf("rds-db:connect grants %s, want %s", got, connect))
	}
	if setup == nil {
		return append(p, "no dbsetup task definition")
	}
	wantSetup := fmt.Sprintf(`{"DB_HOST":%s,"DB_NAME":"%s","DB_PORT":"5432","DB_USER":"%s"}`, endpoint, s.Database.Name, s.Database.User)
	secret := func(field string) string {
		return fmt.Sprintf(`{"Fn::Join":["",[{"Fn::GetAtt":["%s","MasterUserSecret.SecretArn"]},":%s::"]]}`, dbID, field)
	}
	wantSecrets := fmt.Sprintf(`[{"Name":"DB_MASTER_PASSWORD","ValueFrom":%s},{"Name":"DB_MASTER_USER","ValueFrom":%s}]`, secret("password"), secret("username"))
	if got := jsonOf(envOf(setup, "")); got != wantSetup || jsonOf(setup["Secrets"]) != wantSecrets || jsonOf(setup["Command"]) != `["/server","dbsetup"]` {
		p = append(p, fmt.Sprintf("dbsetup container: environment %s, secrets %s, command %s", got, jsonOf(setup["Secrets"]), jsonOf(setup["Command"])))
	}
	return p
}

func envOf(c map[string]any, prefix string) map[string]any {
	out := map[string]any{}
	for _, e := range anySlice(c["Environment"]) {
		if name := get(e, "Name").(string); strings.HasPrefix(name, prefix) {
			out[name] = get(e, "Value")
		}
	}
	return out
}

// sizeProblems: the engine, version and sizes of the kind, TLS forced by the parameter group.
func sizeProblems(s settings.Stage, tp template, props map[string]any) []string {
	var p []string
	d := s.Database
	major, _, _ := strings.Cut(d.EngineVersion, ".")
	if props["EngineVersion"] != d.EngineVersion {
		p = append(p, fmt.Sprintf("EngineVersion %v, want %s", props["EngineVersion"], d.EngineVersion))
	}
	groupType, family, ref := "AWS::RDS::DBParameterGroup", "postgres"+major, "DBParameterGroupName"
	if d.Kind == settings.AuroraServerlessV2 {
		groupType, family, ref = "AWS::RDS::DBClusterParameterGroup", "aurora-postgresql"+major, "DBClusterParameterGroupName"
		if got := jsonOf(props["ServerlessV2ScalingConfiguration"]); got != fmt.Sprintf(`{"MaxCapacity":%v,"MinCapacity":%v}`, d.MaxACU, d.MinACU) {
			p = append(p, "ServerlessV2ScalingConfiguration "+got)
		}
		zones := map[any]bool{}
		for _, r := range tp.resources("AWS::RDS::DBInstance") {
			zones[get(r, "Properties", "AvailabilityZone")] = get(r, "Properties", "DBInstanceClass") == "db.serverless" && get(r, "Properties", "PubliclyAccessible") == false
		}
		if want := map[bool]int{true: 2, false: 1}[d.MultiAZ]; len(zones) != want || slices.Contains(slices.Collect(maps.Values(zones)), false) {
			p = append(p, fmt.Sprintf("Aurora instances in zones %v, want %d private db.serverless instances in distinct zones", zones, want))
		}
	} else if props["DBInstanceClass"] != d.InstanceClass || props["AllocatedStorage"] != fmt.Sprint(d.StorageGiB) || props["StorageType"] != "gp3" || props["MultiAZ"] != d.MultiAZ {
		p = append(p, fmt.Sprintf("instance %v %v GiB %v Multi-AZ %v", props["DBInstanceClass"], props["AllocatedStorage"], props["StorageType"], props["MultiAZ"]))
	}
	for id, g := range tp.resources(groupType) {
		if get(g, "Properties", "Family") != family || jsonOf(get(g, "Properties", "Parameters")) != `{"rds.force_ssl":"1"}` || jsonOf(props[ref]) != fmt.Sprintf(`{"Ref":"%s"}`, id) {
			p = append(p, fmt.Sprintf("%s: family %v, parameters %s (rds.force_ssl must be 1), used as %s", id, get(g, "Properties", "Family"), jsonOf(get(g, "Properties", "Parameters")), jsonOf(props[ref])))
		}
	}
	return p
}

// logProblems: every log type exported, into groups that keep the stage's retention.
func logProblems(s settings.Stage, tp template, props map[string]any) []string {
	var p []string
	types, level := []string{"postgresql", "upgrade"}, "instance"
	if s.Database.Kind == settings.AuroraServerlessV2 {
		types, level = []string{"postgresql"}, "cluster"
	}
	if got := jsonOf(props["EnableCloudwatchLogsExports"]); got != jsonOf(types) {
		p = append(p, fmt.Sprintf("EnableCloudwatchLogsExports %s, want %s", got, jsonOf(types)))
	}
	names := map[string]bool{}
	for _, g := range tp.resources("AWS::Logs::LogGroup") {
		if name, _ := get(g, "Properties", "LogGroupName").(string); strings.HasPrefix(name, "/aws/rds/") {
			names[name] = get(g, "Properties", "RetentionInDays") == float64(s.Logs.RetentionDays)
		}
	}
	for _, typ := range types {
		name := fmt.Sprintf("/aws/rds/%s/keel-%s/%s", level, s.Name, typ)
		if kept, ok := names[name]; !ok || !kept {
			p = append(p, fmt.Sprintf("log group %s missing or without the stage's %d-day retention", name, s.Logs.RetentionDays))
		}
	}
	return p
}
