"""Plausible names, places, vehicles, parts and jobs that the seed draws from."""

from dataclasses import dataclass
from decimal import Decimal as D


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy "
    "Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy Jacob Angela "
    "Gary Shirley Nicholas Brenda Eric Emma Jonathan Anna Stephen Pamela Larry Nicole Justin "
    "Samantha Scott Katherine Brandon Christine Benjamin Debra Samuel Rachel Gregory Carolyn "
    "Alexander Janet Patrick Maria Frank Olivia Raymond Heather Jack Helen Dennis Catherine "
    "Jerry Diane Tyler Julie Aaron Victoria Jose Joyce Adam Lauren Nathan Kelly Henry Christina "
    "Zachary Ruth Douglas Joan Peter Virginia Kyle Judith Noah Evelyn Ethan Hannah Jeremy "
    "Andrea Walter Megan Christian Cheryl Keith Jacqueline Roger Madison Terry Teresa Austin "
    "Abigail Sean Sophia Gerald Martha Carl Sara Harold Gloria Dylan Janice Arthur Kathryn "
    "Lawrence Ann Jordan Isabella Jesse Judy Bryan Charlotte Billy Julia Bruce Grace Gabriel "
    "Amber Joe Alice Logan Jean Alan Denise Juan Frances Albert Danielle Willie Marilyn Elijah "
    "Natalie Wayne Beverly Randy Diana Vincent Brittany Mason Theresa Roy Kayla Ralph Alexis "
    "Bobby Doris Russell Lori Bradley Tiffany Philip Kathleen Eugene Marie Priya Wei Aisha Omar "
    "Mei Carlos Rosa Hiroshi Fatima Luis Ananya Diego Lucia Andre Keisha Malik Yuki Sofia"
)

LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry "
    "Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kowalski O'Brien Novak Yamamoto Singh"
)

# Business customers: fleets and trades that bring their vans and trucks in.
BUSINESS_NAMES = (
    "Buckeye Plumbing",
    "Tri-County Landscaping",
    "Summit Electric",
    "Lakeside Florist",
    "Northside HVAC",
    "Greenway Lawn Care",
    "Keystone Roofing",
    "Metro Courier",
    "Riverbend Catering",
    "Precision Pest Control",
    "Clearview Window Cleaning",
    "Hometown Realty",
    "Bright Smile Dental",
    "Eagle Moving",
    "Cornerstone Builders",
    "Blue Ridge Pool Service",
    "Sunrise Bakery",
    "Allied Security",
    "Maple Street Vet Clinic",
    "Pioneer Fence",
    "Redline Appliance Repair",
    "First Choice Cleaning",
)
BUSINESS_SUFFIXES = ("LLC", "Inc.", "Co.", "Services", "Group")

STREET_NAMES = _words(
    "Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Walnut Sunset Highland Church "
    "Mill River Spring Ridge Chestnut Jefferson Lincoln Franklin Meadow Forest Cherry Willow "
    "Hickory Broad Market Center Prospect Union Academy Orchard Valley Birch "
)
STREET_TYPES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")


@dataclass(frozen=True)
class Region:
    """Where a shop is: its customers live in nearby towns with local phone area codes."""

    state: str
    timezone: str
    area_codes: tuple[str, ...]
    towns: tuple[tuple[str, str], ...]  # (city, zip)


REGIONS = {
    "canton": Region(
        "OH",
        "America/New_York",
        ("330", "234"),
        (
            ("Canton", "44702"),
            ("North Canton", "44720"),
            ("Massillon", "44646"),
            ("Louisville", "44641"),
            ("Jackson Township", "44718"),
            ("Alliance", "44601"),
            ("Uniontown", "44685"),
            ("Hartville", "44632"),
        ),
    ),
    "akron": Region(
        "OH",
        "America/New_York",
        ("330", "234"),
        (
            ("Akron", "44303"),
            ("Cuyahoga Falls", "44221"),
            ("Stow", "44224"),
            ("Fairlawn", "44333"),
            ("Tallmadge", "44278"),
            ("Barberton", "44203"),
            ("Green", "44232"),
            ("Hudson", "44236"),
        ),
    ),
    "austin": Region(
        "TX",
        "America/Chicago",
        ("512", "737"),
        (
            ("Austin", "78704"),
            ("Round Rock", "78664"),
            ("Pflugerville", "78660"),
            ("Cedar Park", "78613"),
            ("Georgetown", "78626"),
            ("Leander", "78641"),
            ("Buda", "78610"),
            ("Kyle", "78640"),
        ),
    ),
    "denver": Region(
        "CO",
        "America/Denver",
        ("303", "720"),
        (
            ("Denver", "80205"),
            ("Aurora", "80012"),
            ("Lakewood", "80226"),
            ("Englewood", "80110"),
            ("Arvada", "80002"),
            ("Westminster", "80031"),
            ("Littleton", "80120"),
            ("Golden", "80401"),
        ),
    ),
}


@dataclass(frozen=True)
class VehicleModel:
    make: str
    model: str
    years: tuple[int, int]
    wmi: str  # World Manufacturer Identifier: the VIN's first three characters


VEHICLES = (
    VehicleModel("Ford", "F-150", (2008, 2025), "1FT"),
    VehicleModel("Ford", "Escape", (2010, 2024), "1FM"),
    VehicleModel("Ford", "Explorer", (2011, 2025), "1FM"),
    VehicleModel("Ford", "Fusion", (2010, 2020), "3FA"),
    VehicleModel("Chevrolet", "Silverado 1500", (2008, 2025), "1GC"),
    VehicleModel("Chevrolet", "Equinox", (2010, 2025), "2GN"),
    VehicleModel("Chevrolet", "Malibu", (2010, 2024), "1G1"),
    VehicleModel("Chevrolet", "Tahoe", (2010, 2025), "1GN"),
    VehicleModel("Toyota", "Camry", (2008, 2025), "4T1"),
    VehicleModel("Toyota", "Corolla", (2008, 2025), "2T1"),
    VehicleModel("Toyota", "RAV4", (2010, 2025), "2T3"),
    VehicleModel("Toyota", "Tacoma", (2010, 2025), "3TM"),
    VehicleModel("Toyota", "Highlander", (2010, 2025), "5TD"),
    VehicleModel("Honda", "Civic", (2008, 2025), "2HG"),
    VehicleModel("Honda", "Accord", (2008, 2025), "1HG"),
    VehicleModel("Honda", "CR-V", (2010, 2025), "5J6"),
    VehicleModel("Honda", "Odyssey", (2011, 2025), "5FN"),
    VehicleModel("Nissan", "Altima", (2008, 2024), "1N4"),
    VehicleModel("Nissan", "Rogue", (2010, 2025), "5N1"),
    VehicleModel("Jeep", "Grand Cherokee", (2011, 2025), "1C4"),
    VehicleModel("Jeep", "Wrangler", (2010, 2025), "1C4"),
    VehicleModel("Ram", "1500", (2011, 2025), "1C6"),
    VehicleModel("GMC", "Sierra 1500", (2010, 2025), "3GT"),
    VehicleModel("Subaru", "Outback", (2010, 2025), "4S4"),
    VehicleModel("Subaru", "Forester", (2010, 2025), "JF2"),
    VehicleModel("Hyundai", "Elantra", (2011, 2025), "5NP"),
    VehicleModel("Hyundai", "Tucson", (2011, 2025), "KM8"),
    VehicleModel("Kia", "Sorento", (2011, 2025), "5XY"),
    VehicleModel("Mazda", "CX-5", (2013, 2025), "JM3"),
    VehicleModel("Volkswagen", "Jetta", (2010, 2025), "3VW"),
    VehicleModel("Tesla", "Model 3", (2018, 2025), "5YJ"),
    VehicleModel("BMW", "3 Series", (2012, 2025), "WBA"),
    VehicleModel("Dodge", "Grand Caravan", (2010, 2020), "2C4"),
)


@dataclass(frozen=True)
class PartSpec:
    key: str
    part_number: str
    name: str
    price: D


PARTS = (
    PartSpec("oil_5w30", "MO-5W30-1QT", "Full Synthetic Motor Oil 5W-30 (1 qt)", D("8.99")),
    PartSpec("oil_0w20", "MO-0W20-1QT", "Full Synthetic Motor Oil 0W-20 (1 qt)", D("9.49")),
    PartSpec("oil_filter", "PH-7317", "Oil Filter", D("12.49")),
    PartSpec("front_pads", "BP-D1210C", "Ceramic Brake Pads, Front", D("79.99")),
    PartSpec("rear_pads", "BP-D1157C", "Ceramic Brake Pads, Rear", D("69.99")),
    PartSpec("front_rotor", "BR-55097", "Brake Rotor, Front", D("94.99")),
    PartSpec("rear_rotor", "BR-55102", "Brake Rotor, Rear", D("84.99")),
    PartSpec("brake_hardware", "BH-H15863", "Brake Hardware Kit", D("14.99")),
    PartSpec("brake_fluid", "BF-DOT3-32", "DOT 3 Brake Fluid (32 oz)", D("13.49")),
    PartSpec("battery", "BAT-H6-AGM", "AGM Battery, Group H6", D("219.99")),
    PartSpec("coolant", "CL-5050-1G", "Antifreeze/Coolant 50/50 (1 gal)", D("24.99")),
    PartSpec("atf", "TF-ATF-1QT", "Automatic Transmission Fluid (1 qt)", D("11.49")),
    PartSpec("cabin_filter", "CF-24869", "Cabin Air Filter", D("29.99")),
    PartSpec("air_filter", "AF-A36135", "Engine Air Filter", D("24.99")),
    PartSpec("spark_plug", "SP-IK20TT", "Iridium Spark Plug", D("12.99")),
    PartSpec("refrigerant", "AC-R134A-12", "R-134a Refrigerant (12 oz)", D("59.99")),
    PartSpec("serpentine_belt", "SB-K060882", "Serpentine Belt", D("42.99")),
    PartSpec("wiper_blade", "WB-22A", "Wiper Blade, 22 in", D("21.99")),
    PartSpec("strut", "ST-72349", "Strut Assembly, Front", D("149.99")),
    PartSpec("water_pump", "WP-AW6019", "Water Pump", D("119.99")),
    PartSpec("alternator", "ALT-11502", "Alternator, Remanufactured", D("289.99")),
    PartSpec("wheel_bearing", "HB-513263", "Wheel Hub and Bearing, Front", D("129.99")),
    PartSpec("thermostat", "TH-33891", "Thermostat with Housing", D("38.99")),
    PartSpec("tpms_sensor", "TPMS-S120", "TPMS Sensor", D("54.99")),
    PartSpec("headlight_bulb", "HL-9005", "Headlight Bulb 9005", D("19.99")),
    PartSpec("sway_link", "SL-K80246", "Sway Bar End Link", D("34.99")),
)
PART_BRANDS = ("ACDelco", "Motorcraft", "Bosch", "Denso", "Wagner", "Moog", "NGK", "Mobil 1")


@dataclass(frozen=True)
class JobSpec:
    """A job as a shop sells it: labor hours, parts by catalogue key with quantities, fees."""

    name: str
    labor_hours: D
    parts: tuple[tuple[str, D], ...] = ()
    fees: tuple[tuple[str, D], ...] = ()
    weight: int = 1  # how common it is


SHOP_SUPPLIES = ("Shop Supplies", D("4.95"))
DISPOSAL = ("Hazardous Waste Disposal", D("3.50"))

JOBS = (
    JobSpec(
        "Oil Change",
        D("0.5"),
        (("oil_5w30", D("5")), ("oil_filter", D("1"))),
        (SHOP_SUPPLIES, DISPOSAL),
        weight=10,
    ),
    JobSpec(
        "Synthetic Oil Change",
        D("0.5"),
        (("oil_0w20", D("5")), ("oil_filter", D("1"))),
        (DISPOSAL,),
        weight=6,
    ),
    JobSpec("Tire Rotation", D("0.5"), weight=6),
    JobSpec(
        "Front Brake Pads",
        D("1.5"),
        (("front_pads", D("1")), ("brake_hardware", D("1"))),
        (SHOP_SUPPLIES,),
        weight=5,
    ),
    JobSpec(
        "Front Brake Pads and Rotors",
        D("2.0"),
        (("front_pads", D("1")), ("front_rotor", D("2")), ("brake_hardware", D("1"))),
        (SHOP_SUPPLIES,),
        weight=3,
    ),
    JobSpec(
        "Rear Brake Pads and Rotors",
        D("2.0"),
        (("rear_pads", D("1")), ("rear_rotor", D("2"))),
        (SHOP_SUPPLIES,),
        weight=2,
    ),
    JobSpec("Brake Fluid Flush", D("0.8"), (("brake_fluid", D("2")),), (DISPOSAL,), weight=2),
    JobSpec(
        "Battery Replacement",
        D("0.5"),
        (("battery", D("1")),),
        (("Battery Core Charge", D("18.00")),),
        weight=3,
    ),
    JobSpec("Engine Diagnostic", D("1.0"), weight=5),
    JobSpec("Four-Wheel Alignment", D("1.0"), (), (SHOP_SUPPLIES,), weight=3),
    JobSpec("Coolant Flush", D("1.0"), (("coolant", D("2")),), (DISPOSAL,), weight=2),
    JobSpec("Transmission Fluid Service", D("1.2"), (("atf", D("6")),), (DISPOSAL,), weight=2),
    JobSpec("Cabin Air Filter", D("0.3"), (("cabin_filter", D("1")),), weight=4),
    JobSpec("Engine Air Filter", D("0.2"), (("air_filter", D("1")),), weight=4),
    JobSpec("Spark Plug Replacement", D("1.5"), (("spark_plug", D("4")),), weight=2),
    JobSpec(
        "A/C Recharge",
        D("1.0"),
        (("refrigerant", D("1")),),
        (("Refrigerant Handling Fee", D("9.95")),),
        weight=2,
    ),
    JobSpec("Serpentine Belt Replacement", D("0.8"), (("serpentine_belt", D("1")),), weight=1),
    JobSpec("Wiper Blades", D("0.2"), (("wiper_blade", D("2")),), weight=3),
    JobSpec("Front Struts", D("3.0"), (("strut", D("2")),), (SHOP_SUPPLIES,), weight=1),
    JobSpec(
        "Water Pump Replacement",
        D("3.5"),
        (("water_pump", D("1")), ("coolant", D("2"))),
        (DISPOSAL,),
        weight=1,
    ),
    JobSpec("Alternator Replacement", D("2.0"), (("alternator", D("1")),), weight=1),
    JobSpec("Front Wheel Bearing", D("1.8"), (("wheel_bearing", D("1")),), weight=1),
    JobSpec(
        "Thermostat Replacement", D("1.2"), (("thermostat", D("1")), ("coolant", D("1"))), weight=1
    ),
    JobSpec("TPMS Sensor Replacement", D("0.6"), (("tpms_sensor", D("1")),), weight=1),
    JobSpec("Headlight Bulb Replacement", D("0.3"), (("headlight_bulb", D("2")),), weight=2),
    JobSpec("Sway Bar Links", D("1.0"), (("sway_link", D("2")),), weight=1),
    JobSpec("Multi-Point Inspection", D("0.5"), weight=4),
)

WORK_ORDER_NOTES = (
    "",
    "",
    "",
    "Customer waiting in lobby.",
    "Customer reports a squeal when braking.",
    "Check engine light on since last week.",
    "Loaner requested.",
    "Customer declined tire replacement; recheck next visit.",
    "Fleet vehicle: send invoice.",
    "Noise from front end over bumps.",
    "Due for 60k service.",
    "Drop-off before 8am.",
)
APPOINTMENT_NOTES = (
    "Oil change",
    "Brake noise",
    "State inspection",
    "Check engine light",
    "Tire rotation",
    "A/C not blowing cold",
    "Scheduled maintenance",
    "Battery keeps dying",
    "Alignment",
    "Follow-up on estimate",
    "",
)
