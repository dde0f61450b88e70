"""What students and the grader share: datasets, gradient checks, seeding, devices."""
