"""grassroots: an Internet+ grassroots governance platform."""
