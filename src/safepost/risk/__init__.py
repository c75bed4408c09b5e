"""The risk model and the organisation policy that tunes it."""
