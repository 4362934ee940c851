"""Feedback: survey instruments, invitations, responses and service recovery."""
