// Package bootstraptemplate provides keel's CDK bootstrap template: the CDK CLI's own
// (cdk bootstrap --show-template), with the container image repository every stage pushes
// its images to kept by rule: the last KeepImages images, untagged ones for a day, each
// image scanned on push and its tag immutable. scripts/bootstrap passes it to
// cdk bootstrap --template.
package bootstraptemplate

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Repository is the logical ID of the image repository in the CLI's template.
const Repository = "ContainerAssetsRepository"

// Props is what the repository keeps.
type Props struct {
	// KeepImages is how many images the repository keeps, newest first; older ones expire.
	KeepImages int
}

// DefaultKeepImages keeps about a year of daily deploys of one stage (each deploy pushes
// one image; a stage has its own repository, its bootstrap qualifier's).
const DefaultKeepImages = 50

func (p Props) validate() error {
	// ECR lifecycle policy: countNumber is a positive integer; keel keeps room for rollbacks.
	if p.KeepImages < 3 || p.KeepImages > 1000 {
		return fmt.Errorf("bootstraptemplate: KeepImages = %d: keep between 3 (the running image, the one before it for a rollback, and one being deployed) and 1000 images", p.KeepImages)
	}
	return nil
}

// Customize returns the CLI's bootstrap template (YAML, long-form intrinsics only) as JSON,
// with the image repository's properties set by props.
func Customize(cliTemplate []byte, props Props) ([]byte, error) {
	if err := props.validate(); err != nil {
		return nil, err
	}
	var tp map[string]any
	if err := yaml.Unmarshal(cliTemplate, &tp); err != nil {
		return nil, fmt.Errorf("the CDK CLI's bootstrap template: %w", err)
	}
	resources, _ := tp["Resources"].(map[string]any)
	repo, _ := resources[Repository].(map[string]any)
	if repo == nil || repo["Type"] != "AWS::ECR::Repository" {
		return nil, fmt.Errorf("the CDK CLI's bootstrap template has no %s repository: the CLI changed its template; update tools/bootstraptemplate", Repository)
	}
	properties, _ := repo["Properties"].(map[string]any)
	if properties == nil {
		return nil, fmt.Errorf("%s has no Properties", Repository)
	}
	policy, err := lifecyclePolicy(props.KeepImages)
	if err != nil {
		return nil, err
	}
	properties["ImageTagMutability"] = "IMMUTABLE"
	properties["ImageScanningConfiguration"] = map[string]any{"ScanOnPush": true}
	properties["LifecyclePolicy"] = map[string]any{"LifecyclePolicyText": policy}
	return json.MarshalIndent(tp, "", " ")
}

// lifecyclePolicy: ECR evaluates rules by rulePriority, lowest first, and a rule with
// tagStatus "any" must have the highest rulePriority (Amazon ECR User Guide, lifecycle
// policies, "Lifecycle policy properties"). An image is expired by the first rule that
// selects it; "imageCountMoreThan" keeps the newest countNumber images by push time.
func lifecyclePolicy(keep int) (string, error) {
	rule := func(priority int, description string, selection map[string]any) map[string]any {
		return map[string]any{"rulePriority": priority, "description": description, "selection": selection, "action": map[string]any{"type": "expire"}}
	}
	b, err := json.Marshal(map[string]any{"rules": []any{
		rule(1, "Untagged images (an interrupted push, a replaced manifest) expire after a day",
			map[string]any{"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}),
		rule(2, fmt.Sprintf("Keep the newest %d images; older ones expire", keep),
			map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep}),
	}})
	return string(b), err
}
