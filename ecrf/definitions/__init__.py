"""CRF and study definitions: schema checks, loading, publishing, compiling."""
