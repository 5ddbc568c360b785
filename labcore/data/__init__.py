"""What the lab's models learn from: seeded data whose truth is known, and the user's CSV."""
