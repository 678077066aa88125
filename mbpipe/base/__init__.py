"""What every part of mbpipe shares: where a run's files live, writing them whole, fragment labels."""
