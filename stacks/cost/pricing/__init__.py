"""Price catalogues shipped as data: one YAML file per cloud region, plus kubernetes.yaml."""
