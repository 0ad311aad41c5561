"""The review domain: protocol, studies, extraction, appraisal, synthesis (pure Python)."""
