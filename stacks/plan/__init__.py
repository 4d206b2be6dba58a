"""Making a plan: the Pulumi program, the offline engine, the plan model, render and graph."""
