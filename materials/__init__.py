"""Materials: the 'at a glance' poster, the induction and refresher slides and the follow-up sheet,
as versioned content an admin edits and publishes, each version's PDF built once."""
