"""Writing a platform repository: `mlplat init` scaffolding and CI workflows."""
