"""What a finished run shows a person: plots, the fragment table and the report's files."""
