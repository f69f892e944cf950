package stage

// imageLabels are the container's OCI labels, from the image's stamp: keel releases shows each
// deployment's version and commit from the task definition.
func imageLabels(img Image) map[string]string {
	labels := map[string]string{}
	for arg, label := range map[string]string{"VERSION": "org.opencontainers.image.version", "COMMIT": "org.opencontainers.image.revision"} {
		if v := img.BuildArgs[arg]; v != "" {
			labels[label] = v
		}
	}
	return labels
}
