"""ODM 1.3.2 ClinicalData import: parse (pure), then apply through the normal entry services."""
