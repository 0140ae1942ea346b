"""review-audit: after-sales audit toolkit."""
