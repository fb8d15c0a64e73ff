"""The one Streamlit-aware helper package: cached loaders, the store handle, filters and error display."""
