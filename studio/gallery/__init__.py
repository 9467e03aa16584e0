"""The gallery page's views (views/gallery_page.py lays them out); their pure helpers are in ``model``."""
