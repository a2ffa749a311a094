"""Online booking: each shop's booking rules, its free times, and the bookings owners make."""
