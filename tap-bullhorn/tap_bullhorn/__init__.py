"""Singer tap for the Bullhorn ATS/CRM REST API."""
