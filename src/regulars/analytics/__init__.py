"""Pure feedback statistics (numpy/scipy only, no Django): stats, quality, consistency,
loyalty_link, trends. Results are frozen dataclasses; "no data" is None, never NaN."""
