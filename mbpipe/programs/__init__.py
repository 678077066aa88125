"""What mbpipe adds to QCEngine's programs: what each one can do, checked before any job starts."""
